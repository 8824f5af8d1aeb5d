package kv_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
)

// diff compares two protobuf messages the way the house style asks:
// cmp.Diff with protocmp.Transform.
func diff(t *testing.T, want, got proto.Message) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("compiled message mismatch (-want +got):\n%s", d)
	}
}

// wantFieldError checks that err is a validation error naming field.
func wantFieldError(t *testing.T, err error, req, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want an invalid %s request naming %q", req, field)
	}
	if !errors.Is(err, kv.ErrInvalidRequest) {
		t.Fatalf("errors.Is(%v, kv.ErrInvalidRequest) = false", err)
	}
	var fe *kv.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *kv.FieldError) = false", err)
	}
	if fe.Pkg != "kv" || fe.Req != req || fe.Field != field {
		t.Fatalf("FieldError{Pkg: %q, Req: %q, Field: %q}, want {kv, %q, %q} (%v)", fe.Pkg, fe.Req, fe.Field, req, field, err)
	}
	if fe.Reason == "" {
		t.Fatalf("FieldError without a reason: %v", err)
	}
}

// b is []byte(s) for table literals.
func b(s string) []byte { return []byte(s) }
