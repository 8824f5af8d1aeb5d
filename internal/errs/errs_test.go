package errs

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestFieldError(t *testing.T) {
	err := Field("kv", "range", "limit", Negative(-3))
	if got, want := err.Error(), "kv: invalid range request: limit: must not be negative, got -3"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalidRequest) {
		t.Error("errors.Is(Field(...), ErrInvalidRequest) = false")
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", err), ErrInvalidRequest) {
		t.Error("a wrapped FieldError does not match ErrInvalidRequest")
	}
	var fe *FieldError
	if !errors.As(err, &fe) || *fe != (FieldError{Pkg: "kv", Req: "range", Field: "limit", Reason: "must not be negative, got -3"}) {
		t.Errorf("errors.As gave %+v", fe)
	}
}

func TestAt(t *testing.T) {
	inner := Field("kv", "put", "key", "empty key")
	got := At("op", "txn", "success[1]", inner)
	want := FieldError{Pkg: "op", Req: "txn", Field: "success[1].key", Reason: "empty key"}
	var fe *FieldError
	if !errors.As(got, &fe) || *fe != want {
		t.Fatalf("At = %#v, want %#v", got, want)
	}
	// Nesting composes the positions.
	outer := At("op", "txn", "failure[0]", got)
	if !errors.As(outer, &fe) || fe.Field != "failure[0].success[1].key" {
		t.Fatalf("nested At field = %q", fe.Field)
	}
	if !errors.Is(outer, ErrInvalidRequest) {
		t.Fatal("nested At does not match ErrInvalidRequest")
	}
	// Any other error becomes the reason.
	other := At("op", "txn", "compare[0]", io.EOF)
	if !errors.As(other, &fe) || fe.Field != "compare[0]" || fe.Reason != "EOF" || !errors.Is(other, ErrInvalidRequest) {
		t.Fatalf("At(io.EOF) = %#v", other)
	}
	// The input error is not modified.
	if inner.Error() != "kv: invalid put request: key: empty key" {
		t.Fatalf("At changed its input: %v", inner)
	}
}

func TestNegative(t *testing.T) {
	if got := Negative(-9223372036854775808); got != "must not be negative, got -9223372036854775808" {
		t.Errorf("Negative(MinInt64) = %q", got)
	}
}
