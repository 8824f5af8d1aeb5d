package maintenance_test

import (
	"errors"
	"testing"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/maintenance"
)

// VerifySnapshot of a nil reader is an invalid request; it called Read on
// it and panicked.
func TestVerifySnapshotNil(t *testing.T) {
	n, err := maintenance.VerifySnapshot(nil)
	var fe *kv.FieldError
	if n != 0 || !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Field != "reader" {
		t.Errorf("VerifySnapshot(nil) = %d, %v; want a field error on \"reader\"", n, err)
	}
}

// A nil *StatusResponse has no leader; IsLeader dereferenced it.
func TestNilStatusResponse(t *testing.T) {
	var s *maintenance.StatusResponse
	if s.IsLeader() {
		t.Error("nil StatusResponse: IsLeader true")
	}
}

// A zero or nil SnapshotError still prints and unwraps to no nil error;
// Error dereferenced its nil Kind.
func TestZeroSnapshotError(t *testing.T) {
	var z maintenance.SnapshotError
	var n *maintenance.SnapshotError
	if z.Error() == "" || n.Error() == "" || len(z.Unwrap()) != 0 || len(n.Unwrap()) != 0 {
		t.Errorf("zero: %q %v; nil: %q %v", z.Error(), z.Unwrap(), n.Error(), n.Unwrap())
	}
	e := maintenance.SnapshotError{Kind: maintenance.ErrChecksum}
	if !errors.Is(&e, maintenance.ErrChecksum) || len(e.Unwrap()) != 1 {
		t.Errorf("Kind only: %v unwraps to %v", &e, e.Unwrap())
	}
}
