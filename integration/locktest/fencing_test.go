package locktest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/op"
)

// readCounter returns the counter's value (0 when absent).
func readCounter(ctx context.Context, t testing.TB, c *conn.Conn, key string) int {
	t.Helper()
	resp, err := c.Get(ctx, kv.New().WithKey(key))
	if err != nil {
		t.Errorf("get %s: %v", key, err)
		return 0
	}
	if len(resp.KVs) == 0 {
		return 0
	}
	n, err := strconv.Atoi(string(resp.KVs[0].Value))
	if err != nil {
		t.Errorf("counter %q: %v", resp.KVs[0].Value, err)
	}
	return n
}

// K goroutines, each on its own connection and session, increment one
// counter for several seconds: read it, then write value+1 in a transaction
// guarded by the lock alone (no comparison of the counter itself). No
// acknowledged increment is lost, and every one was written under a larger
// token than the one before.
func TestCounterUnderLock(t *testing.T) {
	const workers = 4
	run := 3 * time.Second
	ctx := testCtx(t)
	lockName, counter := name(t, "lock"), name(t, "counter")
	deadline := time.Now().Add(run)

	var (
		mu        sync.Mutex
		acked     int
		rejected  int
		lastToken int64
		wg        sync.WaitGroup
	)
	for w := range workers {
		c := open(t)
		s := session(t, c, 10)
		req := lock.New(lockName).WithSession(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				m, err := lock.Lock(ctx, c, req)
				if err != nil {
					t.Errorf("worker %d: Lock: %v", w, err)
					return
				}
				v := readCounter(ctx, t, c, counter)
				resp, err := c.Txn(ctx, op.If(m.Guard()).Then(op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(v+1)))))
				if err != nil {
					t.Errorf("worker %d: txn: %v", w, err)
					return
				}
				mu.Lock()
				if resp.Succeeded {
					acked++
					if m.Token() <= lastToken {
						t.Errorf("worker %d: token %d after %d", w, m.Token(), lastToken)
					}
					lastToken = m.Token()
				} else {
					rejected++
				}
				mu.Unlock()
				if err := m.Unlock(ctx); err != nil {
					t.Errorf("worker %d: Unlock: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := readCounter(ctx, t, open(t), counter)
	t.Logf("%d workers, %v: %d increments, %d guarded writes rejected", workers, run, acked, rejected)
	if acked < workers {
		t.Errorf("only %d increments in %v: the workers did not contend", acked, run)
	}
	if rejected != 0 {
		t.Errorf("%d guarded writes rejected while every session was alive", rejected)
	}
	if got != acked {
		t.Errorf("counter is %d after %d acknowledged increments: lost updates", got, acked)
	}
}

// The control: a holder whose lease is revoked behind its back (it still
// thinks it holds the lock) and a successor both increment the counter.
// Without the guard the stale holder's write lands and one increment is
// lost; with the guard the server refuses it and nothing is lost. Fencing,
// not the lock alone, is what prevents the lost update.
// TestFencingAfterExpiry is the same with a lease that really expires.
func TestFencingPreventsLostUpdate(t *testing.T) {
	for _, guarded := range []bool{false, true} {
		t.Run("guarded="+strconv.FormatBool(guarded), func(t *testing.T) {
			ctx := testCtx(t)
			lockName, counter := name(t, "lock"), name(t, "counter")
			ca, cb := open(t), open(t)
			sa, sb := session(t, ca, 5), session(t, cb, 30)

			a, err := lock.Lock(ctx, ca, lock.New(lockName).WithSession(sa))
			if err != nil {
				t.Fatal(err)
			}
			va := readCounter(ctx, t, ca, counter)

			// A stalls; meanwhile its lease goes (revoked here, as an expiry
			// during a long pause would) and B takes the lock.
			if _, err := lease.Revoke(ctx, cb, lease.ID(sa.ID())); err != nil {
				t.Fatal(err)
			}
			b, err := lock.Lock(ctx, cb, lock.New(lockName).WithSession(sb))
			if err != nil {
				t.Fatal(err)
			}
			staleWrite(ctx, t, guarded, counter, a, ca, va, b, cb)

			// A's lock reports the loss once its session learns of it.
			afterLoss(ctx, t, a, b, cb, lockName, lease.ErrLeaseLost)
		})
	}
}

// The control with a session that really expires: A's session (its lease's
// keep-alive and its lock's watch) runs on a connection through a proxy,
// and A reads and writes the counter on a connection of its own. A takes
// the lock and reads the counter; then the proxy cuts A's session off, so
// its keep-alives no longer reach the server and the lease expires by its
// TTL, which deletes A's key; B, waiting for the lock, takes it and
// increments. A, which cannot have heard of any of this (its handle still
// says it holds the lock), writes what it computed: a holder whose write
// was delayed past its lease. Without the guard the write lands and B's
// increment is lost; with the guard the server refuses it. Once the proxy
// heals, A's lock reports the loss, judged an expiry.
func TestFencingAfterExpiry(t *testing.T) {
	for _, guarded := range []bool{false, true} {
		t.Run("guarded="+strconv.FormatBool(guarded), func(t *testing.T) {
			ctx := testCtx(t)
			lockName, counter := name(t, "lock"), name(t, "counter")
			p, ca := shared.Through(ctx, t) // A's session and lock
			cw, cb := open(t), open(t)
			sa, sb := session(t, ca, 3), session(t, cb, 30)

			a, err := lock.Lock(ctx, ca, lock.New(lockName).WithSession(sa))
			if err != nil {
				t.Fatal(err)
			}
			va := readCounter(ctx, t, cw, counter)

			// A's keep-alives stop reaching the server; B waits for the lock
			// until A's lease expires and takes its key with it.
			cut := time.Now()
			p.Cut()
			b, err := lock.Lock(ctx, cb, lock.New(lockName).WithSession(sb))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("B took the lock %v after A's session was cut off (A's TTL %ds)", time.Since(cut).Round(time.Millisecond), sa.Status().TTL)
			if _, err := lease.TimeToLive(ctx, cb, lease.ID(a.Lease())); !errors.Is(err, conn.ErrLeaseNotFound) {
				t.Fatalf("A's lease %x once B holds the lock: %v, want conn.ErrLeaseNotFound (expired)", a.Lease(), err)
			}
			// The premise: A has not heard that its lease is gone.
			if err := a.Err(); err != nil {
				t.Fatalf("A's handle knows of the loss while cut off: %v", err)
			}
			staleWrite(ctx, t, guarded, counter, a, cw, va, b, cb)

			p.Heal()
			lost := afterLoss(ctx, t, a, b, cb, lockName, lease.ErrExpired)
			t.Logf("A's lock reported the loss %v after the cut", lost.Sub(cut).Round(time.Millisecond))
		})
	}
}

// afterLoss ends a fencing control: it waits for A's lock to report its
// loss, checks the loss matches lock.ErrLost and cause and that A's Unlock
// says it was lost, releases B's lock, and checks that no key is left on
// lockName. It returns when A's lock reported the loss.
func afterLoss(ctx context.Context, t *testing.T, a, b *lock.Mutex, cb *conn.Conn, lockName string, cause error) time.Time {
	t.Helper()
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("A's lock did not report the loss")
	}
	lost := time.Now()
	if err := a.Err(); !errors.Is(err, lock.ErrLost) || !errors.Is(err, cause) {
		t.Errorf("A's Err: %v, want ErrLost and %v", err, cause)
	}
	if err := a.Unlock(ctx); !errors.Is(err, lock.ErrLost) {
		t.Errorf("A's Unlock: %v, want ErrLost", err)
	}
	if err := b.Unlock(ctx); err != nil {
		t.Errorf("B's Unlock: %v", err)
	}
	if ks := keys(t, cb, lockName); len(ks) != 0 {
		t.Errorf("keys left: %q", ks)
	}
	return lost
}

// staleWrite runs the end of a fencing control: B, the lock's holder now,
// increments the counter under its guard; then A, whose lock is lost,
// writes va+1 (what it computed before it lost the lock) on ca, with A's
// guard when guarded. Guarded, A's write must be refused and the counter
// must count every acknowledged increment; unguarded, A's write must land
// and lose B's increment.
func staleWrite(ctx context.Context, t *testing.T, guarded bool, counter string, a *lock.Mutex, ca *conn.Conn, va int, b *lock.Mutex, cb *conn.Conn) {
	t.Helper()
	if b.Token() <= a.Token() {
		t.Fatalf("B's token %d is not above A's %d", b.Token(), a.Token())
	}
	vb := readCounter(ctx, t, cb, counter)
	rb, err := cb.Txn(ctx, op.If(b.Guard()).Then(op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(vb+1)))))
	if err != nil || !rb.Succeeded {
		t.Fatalf("B's guarded increment: %v, succeeded %v", err, rb != nil && rb.Succeeded)
	}

	// A writes what it computed before it lost the lock.
	put := op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(va + 1)))
	txn := op.NewTxn().Then(put)
	if guarded {
		txn = op.If(a.Guard()).Then(put)
	}
	ra, err := ca.Txn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	acked := 1
	if ra.Succeeded {
		acked++
	}
	got := readCounter(ctx, t, cb, counter)
	t.Logf("A's write accepted: %v; counter %d after %d acknowledged increments", ra.Succeeded, got, acked)
	if guarded {
		if ra.Succeeded {
			t.Error("the stale holder's guarded write was accepted")
		}
		if got != acked {
			t.Errorf("counter %d, want %d", got, acked)
		}
	} else {
		if !ra.Succeeded {
			t.Error("the unguarded write was refused: the control shows nothing")
		}
		if got == acked {
			t.Errorf("counter %d after %d increments: the control lost no update", got, acked)
		}
	}
}
