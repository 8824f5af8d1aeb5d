package lock_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/op"
)

// A Mutex that Lock or TryLock did not make, a zero value or nil, holds
// nothing: Done is closed (a zero one's was nil, blocking forever), Err says
// it is not a held lock (it said nil: held), no method panics (a nil one
// dereferenced itself), and a transaction guarded by it is refused before
// anything is sent.
func TestZeroAndNilMutex(t *testing.T) {
	ctx := context.Background()
	notMutex := func(what string, err error) {
		t.Helper()
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Pkg != "lock" || fe.Field != "mutex" {
			t.Errorf("%s: %v, want a lock field error on \"mutex\"", what, err)
		}
	}
	for name, m := range map[string]*lock.Mutex{"zero": new(lock.Mutex), "nil": nil} {
		select {
		case <-m.Done():
		default:
			t.Errorf("%s: Done is not closed", name)
		}
		notMutex(name+" Err", m.Err())
		notMutex(name+" Unlock", m.Unlock(ctx))
		ok, err := m.IsOwner(ctx)
		notMutex(name+" IsOwner", err)
		if ok || m.Key() != "" || m.Token() != 0 || m.Lease() != 0 || m.Header() != (conn.Header{}) {
			t.Errorf("%s: IsOwner %v, Key %q, Token %d, Lease %d, Header %v", name, ok, m.Key(), m.Token(), m.Lease(), m.Header())
		}
		if _, err := op.If(m.Guard()).Compile(); !errors.Is(err, kv.ErrInvalidRequest) {
			t.Errorf("%s: a txn guarded by it compiles: %v", name, err)
		}
	}
}
