package leasetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/lease"
)

// TestThousandLeasesOneStream keeps 1,000 leases alive on one connection
// for more than three TTLs: the stats handler sees exactly one keep-alive
// stream, the server still has every lease at the end, and stopping them
// all closes the stream and ends every goroutine the package started.
func TestThousandLeasesOneStream(t *testing.T) {
	const n, ttl = 1000, 3
	noLeak := noLeaks(t)
	c, cnt := open(t, nil)
	ctx := testCtx(t)

	ids := make([]int64, n)
	handles := make([]*lease.Handle, n)
	parallel(t, n, func(i int) error {
		g, err := lease.Grant(ctx, c, lease.TTL(ttl))
		if err != nil {
			return err
		}
		ids[i] = g.ID
		handles[i], err = lease.KeepAlive(ctx, c, lease.ID(g.ID))
		return err
	})
	start := time.Now()
	renewed := cnt.renewals.Load()
	time.Sleep(3*ttl*time.Second + 500*time.Millisecond)

	for i, h := range handles {
		if err := h.Err(); err != nil {
			t.Fatalf("lease %d (%x) ended: %v", i, ids[i], err)
		}
		if h.TTL() != ttl || !h.LastAck().After(start) {
			t.Fatalf("lease %d: TTL %d, last ack %v (keep-alive began before %v)", i, h.TTL(), h.LastAck(), start)
		}
	}
	// The server has every lease, with time left.
	ls, err := lease.Leases(ctx, c, lease.New())
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[int64]bool, len(ls.IDs))
	for _, id := range ls.IDs {
		have[id] = true
	}
	parallel(t, n, func(i int) error {
		if !have[ids[i]] {
			t.Errorf("lease %x is not in the server's list", ids[i])
		}
		// etcd answers an expired lease with ErrLeaseNotFound.
		r, err := lease.TimeToLive(ctx, c, lease.ID(ids[i]))
		if err == nil && r.GrantedTTL != ttl {
			t.Errorf("lease %x: granted TTL %d, want %d", ids[i], r.GrantedTTL, ttl)
		}
		return err
	})
	if got := cnt.keepAlive.Load(); got != 1 {
		t.Errorf("%d keep-alive streams opened for %d leases, want 1", got, n)
	}
	// A lease alive more than three TTLs after its first renewal was
	// renewed at least twice since, whatever the timing.
	if got := cnt.renewals.Load() - renewed; got < 2*n {
		t.Errorf("%d renewals acknowledged while waiting, want at least %d", got, 2*n)
	}
	t.Logf("%d leases, TTL %ds, %v: %d renewals acknowledged on %d stream(s)", n, ttl, time.Since(start).Round(time.Millisecond),
		cnt.renewals.Load()-renewed, cnt.keepAlive.Load())

	for _, h := range handles {
		h.Stop()
		if !errors.Is(h.Err(), lease.ErrStopped) {
			t.Fatalf("after Stop: %v, want ErrStopped", h.Err())
		}
	}
	// The connection is still open: the stream closed because its last
	// lease stopped, and the package's goroutines are gone.
	waitFor(t, "the keep-alive stream to close", func() bool { return cnt.keepAliveUp.Load() == 0 })
	waitFor(t, "the lease package's goroutines to end", func() bool { return leaseGoroutines() == 0 })
	c.Close()
	noLeak()
}

// TestRevokedElsewhere revokes a kept lease from another connection: the
// handle reports it, as revoked.
func TestRevokedElsewhere(t *testing.T) {
	c, _ := open(t, nil)
	other, _ := open(t, nil)
	ctx := testCtx(t)
	g := grant(t, c, 5)
	h, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.Revoke(ctx, other, lease.ID(g.ID)); err != nil {
		t.Fatal(err)
	}
	wait(t, h.Done())
	err = h.Err()
	var le *lease.LostError
	if !errors.Is(err, lease.ErrLeaseLost) || !errors.Is(err, lease.ErrRevoked) || errors.Is(err, lease.ErrExpired) ||
		!errors.Is(err, conn.ErrLeaseNotFound) || !errors.As(err, &le) || le.ID != g.ID || le.LastAck.IsZero() {
		t.Fatalf("handle of a lease revoked elsewhere: %v; want a *LostError of %x matching ErrLeaseLost and ErrRevoked", err, g.ID)
	}
	t.Log(err)
}

// TestKeepAliveGone: keeping alive a lease that was revoked, or never
// existed, fails at once with conn's not-found error.
func TestKeepAliveGone(t *testing.T) {
	c, _ := open(t, nil)
	ctx := testCtx(t)
	g := grant(t, c, 5)
	if _, err := lease.Revoke(ctx, c, lease.ID(g.ID)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{g.ID, 0x7eadbeef} {
		h, err := lease.KeepAlive(ctx, c, lease.ID(id))
		if h != nil || !errors.Is(err, conn.ErrLeaseNotFound) || !errors.Is(err, lease.ErrLeaseLost) || errors.Is(err, lease.ErrRevoked) || errors.Is(err, lease.ErrExpired) {
			t.Errorf("KeepAlive(%x) of a lease the server does not have = %v, %v; want ErrLeaseNotFound", id, h, err)
		}
	}
}

// TestKeepAliveEnds: a handle ends with its context, with Stop, and with
// its connection, each saying why; the lease itself is not revoked.
func TestKeepAliveEnds(t *testing.T) {
	noLeak := noLeaks(t)
	c, _ := open(t, nil)
	ctx := testCtx(t)

	g := grant(t, c, 30)
	hctx, cancel := context.WithCancel(ctx)
	h, err := lease.KeepAlive(hctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	wait(t, h.Done())
	if !errors.Is(h.Err(), context.Canceled) {
		t.Errorf("after its context was cancelled: %v, want context.Canceled", h.Err())
	}
	if _, err := lease.TimeToLive(ctx, c, lease.ID(g.ID)); err != nil {
		t.Errorf("the lease is gone after its keep-alive ended: %v", err)
	}

	// Two handles on one lease: stopping one leaves the other running.
	a, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	a.Stop()
	if !errors.Is(a.Err(), lease.ErrStopped) || b.Err() != nil {
		t.Errorf("after stopping one of two handles: %v and %v, want ErrStopped and nil", a.Err(), b.Err())
	}
	before := b.LastAck()
	if _, err := lease.KeepAlive(ctx, c, lease.ID(g.ID)); err != nil { // renews at once
		t.Fatal(err)
	}
	if !b.LastAck().After(before) {
		t.Errorf("the remaining handle saw no renewal")
	}

	// Closing the connection ends every handle.
	cc, _ := open(t, nil)
	hs := make([]*lease.Handle, 3)
	for i := range hs {
		if hs[i], err = lease.KeepAlive(ctx, cc, lease.ID(g.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cc.Close(); err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		wait(t, h.Done())
		if !errors.Is(h.Err(), conn.ErrClosed) {
			t.Errorf("after Conn.Close: %v, want conn.ErrClosed", h.Err())
		}
	}
	if _, err := lease.KeepAlive(ctx, cc, lease.ID(g.ID)); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("KeepAlive on a closed connection: %v, want conn.ErrClosed", err)
	}
	_, _ = lease.Revoke(ctx, c, lease.ID(g.ID))
	c.Close()
	noLeak()
}

// parallel runs f(0..n-1) on 16 goroutines and fails the test on the first
// error.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d failed; first: %v", len(errs), n, errs[0])
	}
}

// wait waits for ch to close, or fails the test when its context ends.
func wait(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatal("still waiting after a minute")
	}
}

// waitFor polls cond until it holds, or fails the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
