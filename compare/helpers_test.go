package compare_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/compare"
)

func diff(t *testing.T, want, got *pb.Compare) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("compiled compare mismatch (-want +got):\n%s", d)
	}
}

func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one naming %q", field)
	}
	if !errors.Is(err, compare.ErrInvalidRequest) {
		t.Fatalf("errors.Is(%v, compare.ErrInvalidRequest) = false", err)
	}
	var fe *compare.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *compare.FieldError) = false", err)
	}
	if fe.Pkg != "compare" || fe.Req != "compare" || fe.Field != field || fe.Reason == "" {
		t.Fatalf("FieldError %+v, want compare/compare/%s with a reason", *fe, field)
	}
}

func b(s string) []byte { return []byte(s) }
