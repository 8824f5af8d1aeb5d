package locktest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
)

// result is what a lock call in a goroutine came back with.
type result struct {
	m   *lock.Mutex
	err error
}

// stillWaiting fails the test if ch has delivered: the waiter got the lock
// while it was held.
func stillWaiting[T any](t *testing.T, ch <-chan T, who string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s returned while the lock was held: %v", who, v)
	default:
	}
}

// A getcd lock excludes clientv3's concurrency.Mutex on the same prefix,
// and the other way round; the waiter of either gets the lock once the
// holder releases it.
func TestInteropOfficialMutex(t *testing.T) {
	t.Run("getcd holds", func(t *testing.T) {
		ctx := testCtx(t)
		lockName := name(t, "lock")
		c := open(t)
		s := session(t, c, 30)
		cs, err := concurrency.NewSession(official(t), concurrency.WithTTL(30))
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()

		m, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Key(), fmt.Sprintf("%s/%x", lockName, s.ID()); got != want {
			t.Errorf("key %q, want etcd's layout %q", got, want)
		}
		om := concurrency.NewMutex(cs, lockName)
		if err := om.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
			t.Fatalf("official TryLock while getcd holds: %v, want ErrLocked", err)
		}
		done := make(chan error, 1)
		go func() { done <- om.Lock(ctx) }()
		waitKeys(ctx, t, c, lockName, 2)
		stillWaiting(t, done, "the official Mutex")
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("official Lock after getcd's Unlock: %v", err)
		}
		// Now the official client holds: getcd's TryLock is refused.
		if _, err := lock.TryLock(ctx, c, lock.New(lockName).WithSession(s)); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("getcd TryLock while the official Mutex holds: %v, want ErrLocked", err)
		}
		if err := om.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("official holds", func(t *testing.T) {
		ctx := testCtx(t)
		lockName := name(t, "lock")
		c := open(t)
		s := session(t, c, 30)
		cs, err := concurrency.NewSession(official(t), concurrency.WithTTL(30))
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()

		om := concurrency.NewMutex(cs, lockName)
		if err := om.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := lock.TryLock(ctx, c, lock.New(lockName).WithSession(s)); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("getcd TryLock while the official Mutex holds: %v, want ErrLocked", err)
		}
		if ks := keys(t, c, lockName); len(ks) != 1 {
			t.Fatalf("TryLock left a key: %q", ks)
		}
		done := make(chan result, 1)
		go func() {
			m, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
			done <- result{m, err}
		}()
		waitKeys(ctx, t, c, lockName, 2)
		stillWaiting(t, done, "getcd's Lock")
		if err := om.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatalf("getcd Lock after the official Unlock: %v", r.err)
		}
		om2 := concurrency.NewMutex(cs, lockName)
		if err := om2.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
			t.Fatalf("official TryLock while getcd holds: %v, want ErrLocked", err)
		}
		if err := r.m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// etcd's server-side Lock service and getcd's client-side lock on the same
// name exclude each other, in both orders, and use the same key for the
// same lease.
func TestInteropLockService(t *testing.T) {
	t.Run("service holds", func(t *testing.T) {
		ctx := testCtx(t)
		lockName := name(t, "lock")
		c := open(t)
		s := session(t, c, 30)
		g, err := lease.Grant(ctx, c, lease.TTL(30))
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Revoke(context.Background(), c, lease.ID(g.ID))

		sl, err := lock.ServerLock(ctx, c, lock.New(lockName).WithLease(g.ID))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(sl.Key), lock.New(lockName).KeyFor(g.ID); got != want {
			t.Errorf("service key %q, want %q", got, want)
		}
		if sl.Header.Revision == 0 || sl.Header.ClusterID == 0 {
			t.Errorf("service header not decoded: %+v", sl.Header)
		}
		if _, err := lock.TryLock(ctx, c, lock.New(lockName).WithSession(s)); !errors.Is(err, lock.ErrLocked) {
			t.Fatalf("TryLock while the service holds: %v, want ErrLocked", err)
		}
		done := make(chan result, 1)
		go func() {
			m, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
			done <- result{m, err}
		}()
		waitKeys(ctx, t, c, lockName, 2)
		stillWaiting(t, done, "getcd's Lock")
		u, err := lock.ServerUnlock(ctx, c, lock.Key(string(sl.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if u.Header.Revision <= sl.Header.Revision {
			t.Errorf("unlock header revision %d, lock's %d", u.Header.Revision, sl.Header.Revision)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if err := r.m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("getcd holds", func(t *testing.T) {
		ctx := testCtx(t)
		lockName := name(t, "lock")
		c := open(t)
		s := session(t, c, 30)
		g, err := lease.Grant(ctx, c, lease.TTL(30))
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Revoke(context.Background(), c, lease.ID(g.ID))

		m, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		var key []byte
		go func() {
			sl, err := lock.ServerLock(ctx, c, lock.New(lockName).WithLease(g.ID))
			if err == nil {
				key = sl.Key
			}
			done <- err
		}()
		waitKeys(ctx, t, c, lockName, 2)
		stillWaiting(t, done, "the service's Lock")
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, want := string(key), lock.New(lockName).KeyFor(g.ID); got != want {
			t.Errorf("service key %q, want %q", got, want)
		}
		if _, err := lock.ServerUnlock(ctx, c, lock.Key(string(key))); err != nil {
			t.Fatal(err)
		}
		if ks := keys(t, c, lockName); len(ks) != 0 {
			t.Errorf("keys left: %q", ks)
		}
	})
	t.Run("unknown lease", func(t *testing.T) {
		ctx := testCtx(t)
		c := open(t)
		_, err := lock.ServerLock(ctx, c, lock.New(name(t, "lock")).WithLease(0x7fff_0000_0000_0001))
		if !errors.Is(err, errLeaseNotFound) {
			t.Fatalf("ServerLock with an unknown lease: %v, want conn.ErrLeaseNotFound", err)
		}
		if errors.Is(err, errUnknownOutcome) {
			t.Errorf("a lease the server does not have leaves nothing behind, yet: %v", err)
		}
	})
}
