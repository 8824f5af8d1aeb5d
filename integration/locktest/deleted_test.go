package locktest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/op"
)

// A held lock whose key another client deletes, while the holder's
// session lives on, reports the loss by itself (no IsOwner or Unlock
// needed): Done is closed, Err matches ErrLost and ErrKeyDeleted and
// carries the deletion's revision, and the guard refuses writes.
func TestKeyDeletedByAnother(t *testing.T) {
	ctx := testCtx(t)
	lockName, data := name(t, "lock"), name(t, "data")
	c := open(t)
	s := session(t, c, 30)
	m, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Err(); err != nil {
		t.Fatalf("Err while held: %v", err)
	}

	other := open(t)
	del, err := other.Delete(ctx, kv.New().WithKey(m.Key()))
	if err != nil || del.Deleted != 1 {
		t.Fatalf("deleting the holder's key: %v, deleted %v", err, del)
	}

	select {
	case <-m.Done():
	case <-ctx.Done():
		t.Fatal("Done was not closed after the key was deleted")
	}
	err = m.Err()
	if !errors.Is(err, lock.ErrLost) || !errors.Is(err, lock.ErrKeyDeleted) {
		t.Fatalf("Err: %v, want ErrLost and ErrKeyDeleted", err)
	}
	var lost *lock.LostError
	if !errors.As(err, &lost) {
		t.Fatalf("Err %T is not a *LostError", err)
	}
	if lost.Key != m.Key() || lost.Token != m.Token() || lost.Revision != del.Header.Revision {
		t.Errorf("LostError %+v, want key %s, token %d, revision %d", lost, m.Key(), m.Token(), del.Header.Revision)
	}
	if s.Err() != nil || s.ID() == 0 {
		t.Fatalf("the session ended (%v): the loss must come from the deleted key alone", s.Err())
	}

	resp, err := c.Txn(ctx, op.If(m.Guard()).Then(op.Put(kv.New().WithKey(data).WithValue("stale"))))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Succeeded {
		t.Error("a write guarded by the lost lock was accepted")
	}
	if err := m.Unlock(ctx); !errors.Is(err, lock.ErrKeyDeleted) {
		t.Errorf("Unlock of the lost lock: %v, want ErrKeyDeleted", err)
	}
	if ks := keys(t, c, lockName); len(ks) != 0 {
		t.Errorf("keys left: %q", ks)
	}

	// The session still works: the lock can be taken again, with a new token.
	again, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(s))
	if err != nil {
		t.Fatal(err)
	}
	if again.Token() <= del.Header.Revision {
		t.Errorf("new token %d, not after the deletion at %d", again.Token(), del.Header.Revision)
	}
	if err := again.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// The holder's own Unlock is no loss, however its delete's watch event and
// its answer are ordered: Err is ErrUnlocked every time.
func TestUnlockIsNotLoss(t *testing.T) {
	const rounds = 20
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	req := lock.New(lockName).WithSession(session(t, c, 30))
	for i := range rounds {
		m, err := lock.Lock(ctx, c, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Unlock(ctx); err != nil {
			t.Fatalf("round %d: Unlock: %v", i, err)
		}
		<-m.Done()
		if err := m.Err(); err != lock.ErrUnlocked {
			t.Fatalf("round %d: Err after Unlock: %v, want ErrUnlocked", i, err)
		}
	}
}

// One Mutex unlocked from several goroutines at once, while others ask
// IsOwner: the calls whose delete or read finds the key already gone must
// not end the Mutex as lost before the Unlock whose delete removed it has
// its answer. Every Unlock returns nil, every IsOwner returns no error,
// and Err is ErrUnlocked, every round. (Which call's answer comes first
// varies; before the fix, about one round in five ended lost.)
func TestConcurrentUnlock(t *testing.T) {
	const rounds, unlocks, owners = 30, 2, 2
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	req := lock.New(lockName).WithSession(session(t, c, 30))
	for i := range rounds {
		m, err := lock.Lock(ctx, c, req)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, unlocks+owners)
		for range unlocks {
			wg.Go(func() {
				if err := m.Unlock(ctx); err != nil {
					errs <- fmt.Errorf("Unlock: %w", err)
				}
			})
		}
		for range owners {
			wg.Go(func() {
				if _, err := m.IsOwner(ctx); err != nil {
					errs <- fmt.Errorf("IsOwner: %w", err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", i, err)
		}
		<-m.Done()
		if err := m.Err(); err != lock.ErrUnlocked {
			t.Fatalf("round %d: Err after concurrent Unlocks: %v, want ErrUnlocked", i, err)
		}
	}
	waitKeys(ctx, t, c, lockName, 0)
}

// Two handles of one session share the key (see package lock): when one
// unlocks, the other reports by itself that its key was deleted.
func TestSharedKeyUnlockedByTheOther(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	req := lock.New(name(t, "lock")).WithSession(session(t, c, 30))
	m1, err := lock.Lock(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := lock.Lock(ctx, c, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m2.Done():
	case <-ctx.Done():
		t.Fatal("the other handle's Done was not closed")
	}
	err = m2.Err()
	var lost *lock.LostError
	if !errors.As(err, &lost) || !errors.Is(err, lock.ErrKeyDeleted) || lost.Revision <= m2.Token() {
		t.Errorf("other handle's Err: %v, want a *LostError matching ErrKeyDeleted with the deletion's revision", err)
	}
	if err := m1.Err(); err != lock.ErrUnlocked {
		t.Errorf("unlocking handle's Err: %v, want ErrUnlocked", err)
	}
}

// A holder that is cut off while its key is deleted learns of the
// deletion when it reconnects: its watch resumes from where it was, so the
// deletion is not missed; when that history was compacted meanwhile, a
// read finds the key gone.
func TestKeyDeletedWhileCutOff(t *testing.T) {
	for _, compacted := range []bool{false, true} {
		t.Run("compacted="+strconv.FormatBool(compacted), func(t *testing.T) {
			ctx := testCtx(t)
			c := open(t) // direct: the session, the delete, the compaction
			s := session(t, c, 30)
			p, cp := shared.Through(ctx, t) // the holder's connection
			m, err := lock.Lock(ctx, cp, lock.New(name(t, "lock")).WithSession(s))
			if err != nil {
				t.Fatal(err)
			}

			p.Blackhole(etcdtest.ToClient) // the holder hears nothing from here on
			del, err := c.Delete(ctx, kv.New().WithKey(m.Key()))
			if err != nil || del.Deleted != 1 {
				t.Fatalf("deleting the holder's key: %v, deleted %v", err, del)
			}
			if compacted {
				put, err := c.Put(ctx, kv.New().WithKey(name(t, "after")).WithValue("x"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Compact(ctx, kv.New().WithRev(put.Header.Revision)); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Err(); err != nil {
				t.Fatalf("Err while cut off: %v, want nil (nothing heard yet)", err)
			}
			p.CloseConnections()
			p.Heal()

			select {
			case <-m.Done():
			case <-ctx.Done():
				t.Fatal("Done was not closed after reconnecting")
			}
			err = m.Err()
			var lost *lock.LostError
			if !errors.As(err, &lost) || !errors.Is(err, lock.ErrKeyDeleted) {
				t.Fatalf("Err: %v, want a *LostError matching ErrKeyDeleted", err)
			}
			want := del.Header.Revision // the deletion event, replayed
			if compacted {
				want = 0 // found gone by a read
			}
			if lost.Revision != want {
				t.Errorf("LostError.Revision %d, want %d (%v)", lost.Revision, want, err)
			}
		})
	}
}
