package locktest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"strings"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/registry"
)

// A waiter whose context is cancelled deletes its key before Lock returns;
// TryLock on a held lock leaves no key either.
func TestWaiterLeavesNoKey(t *testing.T) {
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	holder, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(session(t, c, 30)))
	if err != nil {
		t.Fatal(err)
	}
	cw := open(t)
	sw := session(t, cw, 30)
	req := lock.New(lockName).WithSession(sw)

	if _, err := lock.TryLock(ctx, cw, req); !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("TryLock on a held lock: %v, want ErrLocked", err)
	}
	if ks := keys(t, c, lockName); !slices.Equal(ks, []string{holder.Key()}) {
		t.Fatalf("after TryLock: keys %q, want only the holder's", ks)
	}

	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := lock.Lock(wctx, cw, req)
		done <- err
	}()
	ks := waitKeys(ctx, t, c, lockName, 2)
	if ks[1] != req.KeyFor(sw.ID()) {
		t.Fatalf("waiter's key %q, want %q", ks[1], req.KeyFor(sw.ID()))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}
	if ks := keys(t, c, lockName); !slices.Equal(ks, []string{holder.Key()}) {
		t.Fatalf("after the cancelled wait: keys %q, want only the holder's", ks)
	}
	if err := holder.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if ks := keys(t, c, lockName); len(ks) != 0 {
		t.Fatalf("after Unlock: keys %q", ks)
	}
}

// Waiters get the lock in the order they queued, each woken by the
// release of the one before it.
func TestFairOrder(t *testing.T) {
	const waiters = 4
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	holder, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(session(t, c, 30)))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	for i := range waiters {
		cw := open(t)
		req := lock.New(lockName).WithSession(session(t, cw, 30))
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := lock.Lock(ctx, cw, req)
			if err != nil {
				t.Errorf("waiter %d: %v", i, err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			if err := m.Unlock(ctx); err != nil {
				t.Errorf("waiter %d: Unlock: %v", i, err)
			}
		}()
		waitKeys(ctx, t, c, lockName, i+2) // queued before the next one starts
	}
	if err := holder.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if want := []int{0, 1, 2, 3}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
}

// As in etcd's recipe, a second Lock of the same prefix on the same session
// shares the key; either Unlock releases it, and the other handle learns so.
func TestSameSessionSharesKey(t *testing.T) {
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	req := lock.New(lockName).WithSession(session(t, c, 30))
	m1, err := lock.Lock(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := lock.Lock(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Key() != m2.Key() || m1.Token() != m2.Token() {
		t.Fatalf("second lock: %s@%d, first %s@%d", m2.Key(), m2.Token(), m1.Key(), m1.Token())
	}
	if err := m1.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	owner, err := m2.IsOwner(ctx)
	if err != nil || owner {
		t.Fatalf("IsOwner of the other handle after Unlock: %v %v", owner, err)
	}
	<-m2.Done()
	if err := m2.Err(); !errors.Is(err, lock.ErrLost) || !errors.Is(err, lock.ErrKeyDeleted) {
		t.Errorf("other handle's Err: %v, want ErrLost and ErrKeyDeleted", err)
	}
	if err := m1.Err(); err != lock.ErrUnlocked {
		t.Errorf("Err after Unlock: %v", err)
	}
	if err := m1.Unlock(ctx); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
}

// A lock reports its loss when its session ends or loses its lease, and a
// waiter whose lease is revoked stops waiting with a *LostError.
func TestLost(t *testing.T) {
	t.Run("session closed", func(t *testing.T) {
		ctx := testCtx(t)
		c := open(t)
		s, err := lease.NewSession(ctx, c, lease.TTL(30))
		if err != nil {
			t.Fatal(err)
		}
		m, err := lock.Lock(ctx, c, lock.New(name(t, "lock")).WithSession(s))
		if err != nil {
			t.Fatal(err)
		}
		owner, err := m.IsOwner(ctx)
		if err != nil || !owner {
			t.Fatalf("IsOwner while held: %v %v", owner, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		<-m.Done()
		if err := m.Err(); !errors.Is(err, lock.ErrLost) || !errors.Is(err, lease.ErrSessionClosed) {
			t.Errorf("Err: %v, want ErrLost and lease.ErrSessionClosed", err)
		}
		if _, err := lock.Lock(ctx, c, lock.New(name(t, "lock")).WithSession(s)); !errors.Is(err, lock.ErrSessionEnded) {
			t.Errorf("Lock on a closed session: %v, want ErrSessionEnded", err)
		}
	})
	t.Run("waiter's lease revoked", func(t *testing.T) {
		ctx := testCtx(t)
		lockName := name(t, "lock")
		c := open(t)
		holder, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(session(t, c, 30)))
		if err != nil {
			t.Fatal(err)
		}
		cw := open(t)
		sw := session(t, cw, 5)
		done := make(chan error, 1)
		go func() {
			_, err := lock.Lock(ctx, cw, lock.New(lockName).WithSession(sw))
			done <- err
		}()
		waitKeys(ctx, t, c, lockName, 2)
		if _, err := lease.Revoke(ctx, c, lease.ID(sw.ID())); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, lock.ErrLost) || !errors.Is(err, lease.ErrLeaseLost) {
			t.Fatalf("waiter: %v, want ErrLost and lease.ErrLeaseLost", err)
		}
		if err := holder.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A Lock on a session whose lease the server no longer has, before the
// session noticed, is refused by the server and reported as lost.
func TestLockOnRevokedLease(t *testing.T) {
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	s := session(t, c, 30) // renewed every 10 s: it notices the revoke late
	if _, err := lease.Revoke(ctx, c, lease.ID(s.ID())); err != nil {
		t.Fatal(err)
	}
	_, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
	switch {
	case errors.Is(err, lock.ErrLost) && errors.Is(err, conn.ErrLeaseNotFound):
	case errors.Is(err, lock.ErrSessionEnded) && errors.Is(err, lease.ErrLeaseLost):
		t.Log("the session noticed first:", err)
	default:
		t.Fatalf("Lock on a revoked lease: %v, want ErrLost and conn.ErrLeaseNotFound", err)
	}
	if ks := keys(t, c, lockName); len(ks) != 0 {
		t.Errorf("keys left: %q", ks)
	}
}

// Lock, TryLock, ServerLock and ServerUnlock run by connection name through
// registry.Call.
func TestByName(t *testing.T) {
	ctx := testCtx(t)
	connName := "locktest-" + strings.ReplaceAll(etcdtest.KeyPrefix(t), "/", "-")
	if _, err := registry.Open(ctx, connName, conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	defer registry.Close(connName)
	c, err := registry.Lookup(connName)
	if err != nil {
		t.Fatal(err)
	}
	lockName := name(t, "lock")
	req := lock.New(lockName).WithSession(session(t, c, 30)).On(connName)
	m, err := registry.Call(ctx, lock.Lock, req)
	if err != nil {
		t.Fatal(err)
	}
	other := lock.New(lockName).WithSession(session(t, c, 30)).On(connName)
	if _, err := registry.Call(ctx, lock.TryLock, other); !errors.Is(err, lock.ErrLocked) {
		t.Fatalf("TryLock by name: %v, want ErrLocked", err)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	g, err := lease.Grant(ctx, c, lease.TTL(30))
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Revoke(context.Background(), c, lease.ID(g.ID))
	sl, err := registry.Call(ctx, lock.ServerLock, lock.New(lockName).WithLease(g.ID).On(connName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Call(ctx, lock.ServerUnlock, lock.Key(string(sl.Key)).On(connName)); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Call(ctx, lock.Lock, lock.New(lockName).WithSession(session(t, c, 30))); !errors.Is(err, registry.ErrNoName) {
		t.Errorf("a request without a name: %v, want registry.ErrNoName", err)
	}
}
