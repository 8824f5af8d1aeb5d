package leasetest

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
)

// TestSessionClose registers keys on a session; Close revokes the lease,
// which deletes them, and ends the session's goroutine.
func TestSessionClose(t *testing.T) {
	noLeak := noLeaks(t)
	c, _ := open(t, nil)
	ctx := testCtx(t)
	p := prefix(t)
	s, err := lease.NewSession(ctx, c, lease.TTL(5))
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	for _, k := range []string{"a", "b"} {
		if _, err := s.Register(ctx, p+k, "v-"+k); err != nil {
			t.Fatal(err)
		}
	}
	got := keysUnder(t, c, p)
	if len(got) != 2 || got[p+"a"] != id || got[p+"b"] != id {
		t.Fatalf("registered keys: %v, want a and b on lease %x", got, id)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !errors.Is(s.Err(), lease.ErrSessionClosed) {
		t.Errorf("Err after Close: %v, want ErrSessionClosed", s.Err())
	}
	if got := keysUnder(t, c, p); len(got) != 0 {
		t.Errorf("keys after Close: %v, want none", got)
	}
	if _, err := lease.TimeToLive(ctx, c, lease.ID(id)); !errors.Is(err, conn.ErrLeaseNotFound) {
		t.Errorf("the lease after Close: %v, want ErrLeaseNotFound", err)
	}
	if _, err := s.Register(ctx, p+"c", "v"); !errors.Is(err, lease.ErrSessionClosed) {
		t.Errorf("Register after Close: %v, want ErrSessionClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	waitFor(t, "the lease package's goroutines to end", func() bool { return leaseGoroutines() == 0 })
	c.Close()
	noLeak()
}

// TestSessionRecovers revokes a recovering session's lease from another
// connection: the session reports the loss, grants a new lease and writes
// its registered keys again under it.
func TestSessionRecovers(t *testing.T) {
	c, _ := open(t, nil)
	other, _ := open(t, nil)
	ctx := testCtx(t)
	p := prefix(t)
	s, err := lease.NewSession(ctx, c, lease.TTL(3).WithRecovery())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Register(ctx, p+"svc", "10.0.0.1:80"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Register(ctx, p+"gone", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unregister(ctx, p+"gone"); err != nil {
		t.Fatal(err)
	}
	first := s.ID()
	changed := s.Changed()
	if _, err := lease.Revoke(ctx, other, lease.ID(first)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the session to recover", func() bool {
		select {
		case <-changed:
			changed = s.Changed()
		default:
		}
		return s.Status().Recoveries == 1
	})
	st := s.Status()
	if st.ID == 0 || st.ID == first || st.Losses != 1 || !errors.Is(st.LastLoss, lease.ErrRevoked) || st.TTL != 3 {
		t.Fatalf("status after recovery: %+v; want a new lease, one loss (revoked), TTL 3", st)
	}
	got := keysUnder(t, c, p)
	if len(got) != 1 || got[p+"svc"] != st.ID {
		t.Fatalf("keys after recovery: %v, want only svc on the new lease %x", got, st.ID)
	}
	if s.Err() != nil {
		t.Errorf("a recovered session reports %v", s.Err())
	}
	t.Logf("lease %x revoked; recovered as %x: %v", first, st.ID, st.LastLoss)
}

// TestSessionEnds: without recovery a lost lease ends the session; a
// session whose context ends revokes its lease; one whose connection closes
// ends with conn.ErrClosed.
func TestSessionEnds(t *testing.T) {
	c, _ := open(t, nil)
	ctx := testCtx(t)
	p := prefix(t)

	s, err := lease.NewSession(ctx, c, lease.TTL(3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.Revoke(ctx, c, lease.ID(s.ID())); err != nil {
		t.Fatal(err)
	}
	wait(t, s.Done())
	if !errors.Is(s.Err(), lease.ErrLeaseLost) || s.ID() != 0 {
		t.Errorf("session without recovery after its lease was revoked: %v (ID %x), want ErrLeaseLost", s.Err(), s.ID())
	}

	sctx, cancel := context.WithCancel(ctx)
	s, err = lease.NewSession(sctx, c, lease.TTL(30))
	if err != nil {
		t.Fatal(err)
	}
	id := s.ID()
	if _, err := s.Register(ctx, p+"k", "v"); err != nil {
		t.Fatal(err)
	}
	cancel()
	wait(t, s.Done())
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("session after its context ended: %v, want context.Canceled", s.Err())
	}
	if got := keysUnder(t, c, p); len(got) != 0 {
		t.Errorf("keys after the session's context ended: %v, want none", got)
	}
	if _, err := lease.TimeToLive(ctx, c, lease.ID(id)); !errors.Is(err, conn.ErrLeaseNotFound) {
		t.Errorf("lease after the session's context ended: %v, want it revoked", err)
	}

	// An existing lease adopted by ID; the connection closes under it.
	cc, _ := open(t, nil)
	g := grant(t, c, 30)
	s, err = lease.NewSession(ctx, cc, lease.ID(g.ID).WithRecovery())
	if err != nil || s.ID() != g.ID || s.Status().TTL != 30 {
		t.Fatalf("NewSession adopting %x: %v, %v", g.ID, s.Status(), err)
	}
	cc.Close()
	wait(t, s.Done())
	if !errors.Is(s.Err(), conn.ErrClosed) {
		t.Errorf("session after Conn.Close: %v, want conn.ErrClosed", s.Err())
	}
	if _, err := lease.Revoke(ctx, c, lease.ID(g.ID)); err != nil {
		t.Errorf("the adopted lease after its connection closed: %v, want it still there", err)
	}
}

// keysUnder returns the keys under p with their lease IDs.
func keysUnder(t *testing.T, c *conn.Conn, p string) map[string]int64 {
	t.Helper()
	got, err := c.Get(testCtx(t), kv.New().WithKey(p).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, k := range got.KVs {
		out[string(k.Key)] = k.Lease
	}
	return out
}
