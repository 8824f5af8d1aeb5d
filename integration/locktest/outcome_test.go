package locktest

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lock"
)

// A Lock whose creating transaction was applied but whose answer was lost
// fails with an unknown outcome, and cleans up by key: it looks the key up
// and deletes it, so no key is left behind.
func TestUnknownCreateLeavesNoKey(t *testing.T) {
	ctx := testCtx(t)
	p, cp := shared.Through(ctx, t)
	lockName := name(t, "lock")
	c := open(t) // direct: the session and the checks
	s := session(t, c, 30)
	// A call through the proxy first, so that the connection is up.
	if _, err := lock.TryLock(ctx, cp, lock.New(name(t, "warm")).WithSession(s)); err != nil {
		t.Fatal(err)
	}

	p.Blackhole(etcdtest.ToClient) // requests go through, answers are dropped
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := lock.Lock(lctx, cp, lock.New(lockName).WithSession(s))
		done <- err
	}()
	ks := waitKeys(ctx, t, c, lockName, 1) // the create was applied
	// Cut the connection before healing: an answer the server had not
	// yet written when the key showed up would otherwise get through.
	p.Cut()
	p.Heal()
	cancel()
	err := <-done
	if !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("Lock whose answer was lost: %v, want conn.ErrUnknownOutcome", err)
	}
	if left := keys(t, c, lockName); len(left) != 0 {
		t.Fatalf("the key %q created with an unknown outcome is left: %q", ks[0], left)
	}
}

// An Unlock whose delete was applied but whose answer was lost says its
// outcome is unknown and leaves the Mutex held; Unlock again then reports
// the lock released.
func TestUnknownUnlock(t *testing.T) {
	ctx := testCtx(t)
	p, cp := shared.Through(ctx, t)
	lockName := name(t, "lock")
	c := open(t)
	s := session(t, c, 30)
	m, err := lock.Lock(ctx, cp, lock.New(lockName).WithSession(s))
	if err != nil {
		t.Fatal(err)
	}

	p.Blackhole(etcdtest.ToClient)
	uctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Unlock(uctx) }()
	waitKeys(ctx, t, c, lockName, 0) // the delete was applied
	// Unlock ends with its context, still cut off from any answer.
	cancel()
	if err := <-done; !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("Unlock whose answer was lost: %v, want conn.ErrUnknownOutcome", err)
	}
	// The connection's byte stream is broken: replace it, and wait with a
	// read (retried) until the client is on the new one.
	p.Cut()
	p.Heal()
	if _, err := cp.Get(ctx, kv.New().WithKey(lockName)); err != nil {
		t.Fatal(err)
	}
	// The handle's watch resumes on the new connection too, and may see
	// the deletion before or after the read: the Mutex is then still held
	// as far as it knows (nil), or ended by that deletion, which counts as
	// the unknown Unlock's (ErrUnlocked); never lost.
	if err := m.Err(); err != nil && err != lock.ErrUnlocked {
		t.Fatalf("Err after an unknown Unlock: %v, want nil or ErrUnlocked", err)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatalf("second Unlock: %v", err)
	}
	if err := m.Err(); err != lock.ErrUnlocked {
		t.Errorf("Err: %v, want ErrUnlocked", err)
	}
}
