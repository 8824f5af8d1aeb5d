package op_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/op"
)

func diff(t *testing.T, want, got proto.Message) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("compiled message mismatch (-want +got):\n%s", d)
	}
}

// wantFieldError checks err matches op.ErrInvalidRequest and names field.
func wantFieldError(t *testing.T, err error, pkg, req, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one naming %q", field)
	}
	if !errors.Is(err, op.ErrInvalidRequest) {
		t.Fatalf("errors.Is(%v, op.ErrInvalidRequest) = false", err)
	}
	var fe *op.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *op.FieldError) = false", err)
	}
	if fe.Pkg != pkg || fe.Req != req || fe.Field != field || fe.Reason == "" {
		t.Fatalf("FieldError{%q, %q, %q, %q}, want {%q, %q, %q, <reason>}", fe.Pkg, fe.Req, fe.Field, fe.Reason, pkg, req, field)
	}
}

func b(s string) []byte { return []byte(s) }
