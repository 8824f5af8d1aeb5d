package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// A zero Registry is an empty one, and a nil *Registry holds nothing: no
// method panics or blocks. Open on a zero Registry wrote to a nil map while
// holding the lock (a panic, and every later call on it hung); a nil one
// dereferenced itself.
func TestZeroRegistry(t *testing.T) {
	ctx := context.Background()
	for name, r := range map[string]*registry.Registry{"zero": new(registry.Registry), "nil": nil} {
		// An invalid config fails in conn.New, after the name was reserved
		// and before anything is dialled.
		_, err := r.Open(ctx, "a", conn.Config{})
		want := conn.ErrInvalidConfig
		if r == nil {
			want = registry.ErrNoRegistry
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: Open: %v, want %v", name, err, want)
		}
		if err := r.Add("a", nil); !errors.Is(err, registry.ErrNoConn) {
			t.Errorf("%s: Add: %v, want ErrNoConn", name, err)
		}
		if c, err := r.Lookup("a"); c != nil || !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: Lookup: %v, %v; want ErrNotFound", name, c, err)
		}
		if _, err := r.Get(ctx, kv.On("a").WithKey("k")); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: Get: %v, want ErrNotFound", name, err)
		}
		if _, err := r.Txn(ctx, op.NewTxn().WithConn("a")); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: Txn: %v, want ErrNotFound", name, err)
		}
		if _, err := registry.CallIn(ctx, r, lease.Grant, lease.TTL(10).WithConn("a")); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: CallIn: %v, want ErrNotFound", name, err)
		}
		if n, in, st := r.Names(), r.Info(), r.Stats(); len(n) != 0 || len(in) != 0 || len(st) != 0 {
			t.Errorf("%s: Names %v, Info %v, Stats %v", name, n, in, st)
		}
		if err := r.Close("a"); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s: Close: %v, want ErrNotFound", name, err)
		}
		if err := r.CloseAll(); err != nil {
			t.Errorf("%s: CloseAll: %v", name, err)
		}
	}
}

// CallIn with a nil function fails as an invalid request instead of calling
// it.
func TestCallNilFunc(t *testing.T) {
	_, err := registry.CallIn[lease.Request, *lease.GrantResponse](context.Background(), registry.New(), nil, lease.TTL(10).WithConn("a"))
	var fe *kv.FieldError
	if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Field != "call" {
		t.Errorf("CallIn(nil): %v, want a *kv.FieldError on call", err)
	}
}

// A NameError with nothing in it, or a nil one, still prints.
func TestZeroNameError(t *testing.T) {
	var e registry.NameError
	var n *registry.NameError
	if e.Error() == "" || n.Error() == "" || e.Unwrap() != nil || n.Unwrap() != nil || e.GRPCStatus() == nil || n.GRPCStatus() == nil {
		t.Errorf("zero: %q; nil: %q", e.Error(), n.Error())
	}
}
