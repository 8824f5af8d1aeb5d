package leasetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/registry"
)

// TestCalls runs every lease call once on a live lease, then on the same
// lease after it was revoked.
func TestCalls(t *testing.T) {
	c, _ := open(t, nil)
	ctx := testCtx(t)
	p := prefix(t)

	g, err := lease.Grant(ctx, c, lease.TTL(30))
	if err != nil {
		t.Fatal(err)
	}
	if g.ID <= 0 || g.TTL != 30 || g.Header.Revision <= 0 || g.Header.MemberID == 0 || g.Header.ClusterID == 0 {
		t.Fatalf("Grant = %+v, want a positive ID, TTL 30 and a filled header", g)
	}
	for _, k := range []string{"b", "a"} {
		if _, err := c.Put(ctx, kv.New().WithKey(p+k).WithValue("v").WithLease(g.ID)); err != nil {
			t.Fatal(err)
		}
	}

	ttl, err := lease.TimeToLive(ctx, c, lease.ID(g.ID).WithKeys())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range ttl.Keys {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	if ttl.ID != g.ID || ttl.GrantedTTL != 30 || ttl.TTL <= 0 || ttl.TTL > 30 || !slices.Equal(keys, []string{p + "a", p + "b"}) {
		t.Errorf("TimeToLive(WithKeys) = %+v (keys %q), want ID %x, granted 30, 0 < TTL <= 30, keys a and b", ttl, keys, g.ID)
	}
	if ttl, err := lease.TimeToLive(ctx, c, lease.ID(g.ID)); err != nil || ttl.Keys != nil {
		t.Errorf("TimeToLive without WithKeys = %+v, %v; want no keys", ttl, err)
	}

	ls, err := lease.Leases(ctx, c, lease.New())
	if err != nil || !slices.Contains(ls.IDs, g.ID) || ls.Header.Revision <= 0 {
		t.Errorf("Leases = %+v, %v; want a list holding %x", ls, err, g.ID)
	}

	ka, err := lease.KeepAliveOnce(ctx, c, lease.ID(g.ID))
	if err != nil || ka.ID != g.ID || ka.TTL != 30 || ka.Header.MemberID == 0 {
		t.Errorf("KeepAliveOnce = %+v, %v; want ID %x, TTL 30", ka, err, g.ID)
	}

	rv, err := lease.Revoke(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	if rv.Header.Revision <= g.Header.Revision {
		t.Errorf("Revoke header revision %d, want above the grant's %d (it deleted keys)", rv.Header.Revision, g.Header.Revision)
	}
	got, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly())
	if err != nil || got.Count != 0 {
		t.Errorf("after Revoke: %d keys left (%v), want 0", got.Count, err)
	}

	// The same lease, gone: every call says so with conn's sentinel, and
	// the revoke's failure is a definite one.
	notFound := func(call string, err error) {
		t.Helper()
		var ce *conn.Error
		if !errors.Is(err, conn.ErrLeaseNotFound) || !errors.As(err, &ce) || errors.Is(err, conn.ErrUnknownOutcome) {
			t.Errorf("%s of a revoked lease: %v; want a *conn.Error matching ErrLeaseNotFound, outcome known", call, err)
		}
	}
	_, err = lease.TimeToLive(ctx, c, lease.ID(g.ID))
	notFound("TimeToLive", err)
	_, err = lease.Revoke(ctx, c, lease.ID(g.ID))
	notFound("Revoke", err)
	_, err = lease.KeepAliveOnce(ctx, c, lease.ID(g.ID))
	notFound("KeepAliveOnce", err)
}

// TestGrantChosenID grants a lease with an ID of the test's choosing; a
// second grant of that ID is refused, definitely.
func TestGrantChosenID(t *testing.T) {
	c, _ := open(t, nil)
	ctx := testCtx(t)
	const id = 0x1ea5e1d
	_, _ = lease.Revoke(ctx, c, lease.ID(id)) // from an earlier run on an external cluster
	g, err := lease.Grant(ctx, c, lease.TTL(30).WithID(id))
	if err != nil || g.ID != id {
		t.Fatalf("Grant(WithID(%x)) = %+v, %v", id, g, err)
	}
	defer lease.Revoke(ctx, c, lease.ID(id))
	_, err = lease.Grant(ctx, c, lease.TTL(30).WithID(id))
	if !errors.Is(err, conn.ErrLeaseExist) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("second Grant of %x: %v; want ErrLeaseExist, outcome known", id, err)
	}
}

// TestInvalid sends nothing for a request a call cannot use: the error
// matches kv.ErrInvalidRequest and names the field, and the connection
// starts no RPC.
func TestInvalid(t *testing.T) {
	c, n := open(t, nil)
	for _, tc := range []struct {
		name  string
		call  func(lease.Request) error
		req   lease.Request
		field string
	}{
		{"grant without TTL", grantCall(c), lease.New(), "ttl"},
		{"grant TTL 0", grantCall(c), lease.TTL(0), "ttl"},
		{"grant negative TTL", grantCall(c), lease.TTL(-5), "ttl"},
		{"grant TTL above etcd's maximum", grantCall(c), lease.TTL(lease.MaxTTL + 1), "ttl"},
		{"grant negative ID", grantCall(c), lease.TTL(5).WithID(-1), "id"},
		{"grant with keys", grantCall(c), lease.TTL(5).WithKeys(), "keys"},
		{"grant negative timeout", grantCall(c), lease.TTL(5).WithTimeout(-1), "timeout"},
		{"revoke without ID", revokeCall(c), lease.New(), "id"},
		{"revoke ID 0", revokeCall(c), lease.ID(0), "id"},
		{"revoke with TTL", revokeCall(c), lease.ID(1).WithTTL(3), "ttl"},
		{"time-to-live negative ID", ttlCall(c), lease.ID(-7), "id"},
		{"leases with an ID", leasesCall(c), lease.ID(1), "id"},
		{"keep-alive-once without ID", onceCall(c), lease.New(), "id"},
		{"keep-alive without ID", keepAliveCall(c), lease.New(), "id"},
		{"keep-alive with a timeout", keepAliveCall(c), lease.ID(1).WithTimeout(1), "timeout"},
		{"keep-alive with recovery", keepAliveCall(c), lease.ID(1).WithRecovery(), "recovery"},
		{"session without TTL or ID", sessionCall(c), lease.New().WithRecovery(), "ttl"},
		{"session TTL 0", sessionCall(c), lease.TTL(0), "ttl"},
		{"session with keys", sessionCall(c), lease.TTL(5).WithKeys(), "keys"},
	} {
		before := n.calls.Load()
		err := tc.call(tc.req)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Field != tc.field || fe.Pkg != "lease" {
			t.Errorf("%s: %v; want a lease FieldError on %s", tc.name, err, tc.field)
		}
		if sent := n.calls.Load() - before; sent != 0 {
			t.Errorf("%s: %d RPCs started, want none", tc.name, sent)
		}
	}
}

// bg is the context of calls that must fail before they are sent.
var bg = context.Background()

func grantCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.Grant(bg, c, r); return err }
}
func revokeCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.Revoke(bg, c, r); return err }
}
func ttlCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.TimeToLive(bg, c, r); return err }
}
func leasesCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.Leases(bg, c, r); return err }
}
func onceCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.KeepAliveOnce(bg, c, r); return err }
}
func keepAliveCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.KeepAlive(bg, c, r); return err }
}
func sessionCall(c *conn.Conn) func(lease.Request) error {
	return func(r lease.Request) error { _, err := lease.NewSession(bg, c, r); return err }
}

// TestByName runs the calls by connection name through registry.Call, the
// one mechanism every package's calls share.
func TestByName(t *testing.T) {
	ctx := testCtx(t)
	reg := registry.New()
	defer reg.CloseAll()
	if _, err := reg.Open(ctx, "leases", conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	base := lease.On("leases")
	g, err := registry.CallIn(ctx, reg, lease.Grant, base.WithTTL(10))
	if err != nil {
		t.Fatal(err)
	}
	h, err := registry.CallIn(ctx, reg, lease.KeepAlive, base.WithID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	if h.TTL() != 10 || h.ID() != g.ID {
		t.Errorf("KeepAlive by name: ID %x TTL %d, want %x and 10", h.ID(), h.TTL(), g.ID)
	}
	h.Stop()
	if _, err := registry.CallIn(ctx, reg, lease.TimeToLive, base.WithID(g.ID)); err != nil {
		t.Error(err)
	}
	if _, err := registry.CallIn(ctx, reg, lease.Revoke, base.WithID(g.ID)); err != nil {
		t.Error(err)
	}
	_, err = registry.CallIn(ctx, reg, lease.Grant, lease.On("nope").WithTTL(10))
	if !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Grant on an unknown name: %v, want registry.ErrNotFound", err)
	}
}
