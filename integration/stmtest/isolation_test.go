package stmtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/stm"
)

var levels = []stm.Isolation{stm.SerializableSnapshot, stm.Serializable, stm.RepeatableReads, stm.ReadCommitted}

// fast keeps conflict tests quick: the pauses between attempts are at most
// a microsecond.
var fast = stm.Backoff{Base: time.Microsecond, Max: time.Microsecond}

// TestRepeatedRead reads a key twice in one attempt while another client
// changes it in between. Read committed may see the new value the second
// time (a non-repeatable read); the other levels must return the same value
// twice. Repeatable reads then finds at commit that what it read is stale
// and runs again; the serializable levels read one snapshot, which needs
// no commit when nothing is written.
func TestRepeatedRead(t *testing.T) {
	for _, tc := range []struct {
		iso      stm.Isolation
		second   string // the second read of attempt 1
		attempts int
	}{
		{stm.ReadCommitted, "2", 1},
		{stm.RepeatableReads, "1", 2},
		{stm.Serializable, "1", 1},
		{stm.SerializableSnapshot, "1", 1},
	} {
		t.Run(tc.iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c, other := open(t), open(t)
			k := prefix(t) + "k"
			put(t, c, k, "1")
			var reads [][2]string
			res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
				first, err := tx.Get(ctx, k)
				if err != nil {
					return err
				}
				if tx.Attempt() == 1 {
					put(t, other, k, "2")
				}
				second, err := tx.Get(ctx, k)
				reads = append(reads, [2]string{first, second})
				return err
			}).WithIsolation(tc.iso).WithBackoff(fast))
			if err != nil {
				t.Fatal(err)
			}
			if got := reads[0]; got != [2]string{"1", tc.second} {
				t.Errorf("attempt 1 read %q then %q, want 1 then %s", got[0], got[1], tc.second)
			}
			if res.Attempts != tc.attempts || len(reads) != tc.attempts || !res.Committed {
				t.Errorf("result %+v after %d calls, want committed after %d attempts", res, len(reads), tc.attempts)
			}
			if last := reads[len(reads)-1]; tc.attempts > 1 && last != [2]string{"2", "2"} {
				t.Errorf("last attempt read %q, want the new value twice", last)
			}
		})
	}
}

// TestReadSkew reads two balances while a transfer between them commits in
// between. The serializable levels read both at one snapshot and see the
// true sum; repeatable reads may see a state that never existed (the
// transfer half applied) but cannot commit it: it runs again and sees the
// true sum. Read committed sees the mixed state and nothing stops it.
func TestReadSkew(t *testing.T) {
	for _, tc := range []struct {
		iso      stm.Isolation
		firstSum int
		attempts int
	}{
		{stm.SerializableSnapshot, 100, 1},
		{stm.Serializable, 100, 1},
		{stm.RepeatableReads, 150, 2},
		{stm.ReadCommitted, 150, 1},
	} {
		t.Run(tc.iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c, other := open(t), open(t)
			a, b := prefix(t)+"a", prefix(t)+"b"
			put(t, c, a, "50")
			put(t, c, b, "50")
			var sums []int
			res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
				va, err := tx.Get(ctx, a)
				if err != nil {
					return err
				}
				if tx.Attempt() == 1 {
					_, err := other.Txn(ctx, op.NewTxn().Then(
						op.Put(kv.New().WithKey(a).WithValue("0")),
						op.Put(kv.New().WithKey(b).WithValue("100"))))
					if err != nil {
						return err
					}
				}
				vb, err := tx.Get(ctx, b)
				if err != nil {
					return err
				}
				sums = append(sums, atoi(t, va)+atoi(t, vb))
				return nil
			}).WithIsolation(tc.iso).WithBackoff(fast))
			if err != nil {
				t.Fatal(err)
			}
			if sums[0] != tc.firstSum {
				t.Errorf("attempt 1 saw a sum of %d, want %d", sums[0], tc.firstSum)
			}
			if res.Attempts != tc.attempts {
				t.Errorf("%d attempts, want %d", res.Attempts, tc.attempts)
			}
			if tc.attempts > 1 && sums[len(sums)-1] != 100 {
				t.Errorf("the committed attempt saw a sum of %d", sums[len(sums)-1])
			}
		})
	}
}

// TestBlindWrite writes a key the transaction did not read, after another
// client changed it since the transaction's snapshot. Serializable
// snapshot must abort that attempt (the key changed since the snapshot)
// and commit on the next; the other levels check only what was read and
// overwrite the change.
func TestBlindWrite(t *testing.T) {
	for _, iso := range levels {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c, other := open(t), open(t)
			x, y := prefix(t)+"x", prefix(t)+"y"
			put(t, c, x, "x")
			put(t, c, y, "before")
			var retries []stm.Retry
			res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
				if _, err := tx.Get(ctx, x); err != nil {
					return err
				}
				if tx.Attempt() == 1 {
					put(t, other, y, "theirs")
				}
				tx.Put(y, "ours")
				return nil
			}).WithIsolation(iso).WithBackoff(fast).WithOnRetry(func(r stm.Retry) { retries = append(retries, r) }))
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if iso == stm.SerializableSnapshot {
				want = 2
				if len(retries) != 1 || !slices.Equal(retries[0].Keys, []string{y}) || retries[0].Attempt != 1 {
					t.Errorf("retries %+v, want one after attempt 1 naming %s", retries, y)
				}
			}
			if res.Attempts != want || !res.Committed {
				t.Errorf("result %+v, want committed after %d attempts", res, want)
			}
			if v, _ := value(t, c, y); v != "ours" {
				t.Errorf("%s = %q after the commit", y, v)
			}
		})
	}
}

// TestWriteSkew is the on-call rota: two doctors on call, each may go off
// call if the other is still on. Two transactions read both, wait for each
// other, then each takes itself off. Read committed lets both commit
// (write skew: nobody is on call); every validating level aborts one, whose
// next attempt sees that the other went off and stays on.
func TestWriteSkew(t *testing.T) {
	for _, iso := range levels {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c := open(t)
			doctors := []string{prefix(t) + "alice", prefix(t) + "bob"}
			for _, d := range doctors {
				put(t, c, d, "on")
			}
			var both sync.WaitGroup
			both.Add(2)
			results := make([]stm.Result, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, me := range doctors {
				cc := open(t)
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = stm.Run(ctx, cc, stm.New(func(ctx context.Context, tx *stm.Tx) error {
						on := 0
						for _, d := range doctors {
							v, err := tx.Get(ctx, d)
							if err != nil {
								return err
							}
							if v == "on" {
								on++
							}
						}
						if tx.Attempt() == 1 {
							both.Done()
							both.Wait() // both have read: now both commit
						}
						if on >= 2 {
							tx.Put(me, "off")
						}
						return nil
					}).WithIsolation(iso).WithBackoff(fast))
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			on := 0
			for _, d := range doctors {
				if v, _ := value(t, c, d); v == "on" {
					on++
				}
			}
			attempts := results[0].Attempts + results[1].Attempts
			if iso == stm.ReadCommitted {
				if on != 0 || attempts != 2 {
					t.Errorf("read committed: %d on call after %d attempts, want the write skew (0 on call, no retry)", on, attempts)
				}
				return
			}
			if on != 1 || attempts != 3 {
				t.Errorf("%d doctors on call after %d attempts in all, want 1 after 3", on, attempts)
			}
		})
	}
}

// TestRangeValidated reads a prefix, counts it and writes the count, while
// another client inserts, deletes or changes a key of the prefix. The
// validating levels must notice each and run again; read committed writes
// a stale count.
func TestRangeValidated(t *testing.T) {
	changes := map[string]func(t *testing.T, c *conn.Conn, pfx string){
		"insert": func(t *testing.T, c *conn.Conn, pfx string) { put(t, c, pfx+"items/9", "new") },
		"delete": func(t *testing.T, c *conn.Conn, pfx string) {
			if _, err := c.Delete(context.Background(), kv.New().WithKey(pfx+"items/1")); err != nil {
				t.Fatal(err)
			}
		},
		"modify": func(t *testing.T, c *conn.Conn, pfx string) { put(t, c, pfx+"items/2", "changed") },
	}
	for _, iso := range levels {
		for name, change := range changes {
			t.Run(iso.String()+"/"+name, func(t *testing.T) {
				ctx := testCtx(t)
				c, other := open(t), open(t)
				pfx := prefix(t)
				for i := range 3 {
					put(t, c, pfx+"items/"+strconv.Itoa(i), "v"+strconv.Itoa(i))
				}
				var seen []string
				res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
					items, err := tx.Prefix(ctx, pfx+"items/")
					if err != nil {
						return err
					}
					seen = append(seen, fmt.Sprint(items))
					if tx.Attempt() == 1 {
						change(t, other, pfx)
					}
					tx.Put(pfx+"summary", fmt.Sprint(items))
					return nil
				}).WithIsolation(iso).WithBackoff(fast))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.Get(ctx, kv.New().WithKey(pfx+"items/").WithPrefix())
				if err != nil {
					t.Fatal(err)
				}
				var now []stm.KeyValue
				for _, m := range resp.KVs {
					now = append(now, stm.KeyValue{Key: string(m.Key), Value: string(m.Value)})
				}
				summary, _ := value(t, c, pfx+"summary")
				if iso == stm.ReadCommitted {
					if res.Attempts != 1 || summary == fmt.Sprint(now) {
						t.Errorf("read committed: %d attempts, summary %s; want 1 attempt and a stale summary", res.Attempts, summary)
					}
					return
				}
				if res.Attempts != 2 || summary != fmt.Sprint(now) {
					t.Errorf("%d attempts (saw %q), summary %s, store %v; want 2 attempts and a current summary", res.Attempts, seen, summary, now)
				}
			})
		}
	}
}

// TestReadYourWrites: within an attempt, reads see the attempt's own puts
// and deletes, for single keys and ranges; the commit applies them.
func TestReadYourWrites(t *testing.T) {
	for _, iso := range levels {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c := open(t)
			pfx := prefix(t)
			put(t, c, pfx+"a", "1")
			put(t, c, pfx+"b", "2")
			var got []string
			_, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
				got = got[:0]
				tx.Put(pfx+"a", "10")
				tx.Delete(pfx + "b")
				tx.Put(pfx+"c", "30")
				a, err := tx.Get(ctx, pfx+"a")
				if err != nil {
					return err
				}
				_, bExists, err := tx.Lookup(ctx, pfx+"b")
				if err != nil {
					return err
				}
				all, err := tx.Prefix(ctx, pfx)
				if err != nil {
					return err
				}
				got = append(got, a, strconv.FormatBool(bExists), fmt.Sprint(all))
				return nil
			}).WithIsolation(iso))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"10", "false", fmt.Sprintf("[{%sa 10} {%sc 30}]", pfx, pfx)}
			if !slices.Equal(got, want) {
				t.Errorf("reads %q, want %q", got, want)
			}
			for k, want := range map[string]string{"a": "10", "b": "", "c": "30"} {
				if v, _ := value(t, c, pfx+k); v != want {
					t.Errorf("%s%s = %q after the commit, want %q", pfx, k, v, want)
				}
			}
		})
	}
}

// TestPrefetchAndRefresh: prefetched keys are read before the first attempt
// and served from that read, even if the store changed since; after a
// conflict and a pause the next attempt reads them afresh (after no pause
// it starts from what the commit's failure branch read).
func TestPrefetchAndRefresh(t *testing.T) {
	ctx := testCtx(t)
	c, other := open(t), open(t)
	k := prefix(t) + "k"
	put(t, c, k, "old")
	var seen []string
	var paused []bool
	res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
		if tx.Attempt() == 1 {
			put(t, other, k, "new") // after the prefetch
		}
		v, err := tx.Get(ctx, k)
		seen = append(seen, v)
		tx.Put(k, v+"+1")
		return err
	}).WithPrefetch(k).WithBackoff(stm.Backoff{Base: time.Millisecond, Max: time.Millisecond}).WithOnRetry(func(r stm.Retry) {
		paused = append(paused, r.Delay > 0)
		if r.Attempt == 1 {
			put(t, other, k, "newer") // after the failure branch read "new"
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"old", "newer"}
	if !paused[0] {
		want = []string{"old", "new", "newer"} // no pause: the failure branch's read was used
	}
	if !slices.Equal(seen, want) || res.Attempts != len(want) {
		t.Errorf("attempts read %q (%d attempts, pauses %v), want %q", seen, res.Attempts, paused, want)
	}
	if v, _ := value(t, c, k); v != "newer+1" {
		t.Errorf("%s = %q", k, v)
	}
}

// TestRangeOverLimit: a range read of more keys than the commit may hold
// conditions makes the commit invalid at the validating levels: it fails
// before it is sent, with an error naming the field, and nothing is
// written. Read committed checks nothing, so it commits.
func TestRangeOverLimit(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	pfx := prefix(t)
	ops := make([]op.Op, 10)
	for i := range ops {
		ops[i] = op.Put(kv.New().WithKey(pfx + "items/" + strconv.Itoa(i)).WithValue("v"))
	}
	if _, err := c.Txn(ctx, op.NewTxn().Then(ops...)); err != nil {
		t.Fatal(err)
	}
	for _, iso := range levels {
		out := pfx + "out/" + iso.String()
		_, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
			if _, err := tx.Prefix(ctx, pfx+"items/"); err != nil {
				return err
			}
			tx.Put(out, "written")
			return nil
		}).WithIsolation(iso).WithMaxOps(8))
		_, written := value(t, c, out)
		if iso == stm.ReadCommitted {
			if err != nil || !written {
				t.Errorf("%s: %v, written %v; want a commit", iso, err, written)
			}
			continue
		}
		var fe *stm.FieldError
		if !errors.Is(err, stm.ErrInvalidRequest) || !errors.As(err, &fe) || written {
			t.Errorf("%s: error %v, written %v; want an invalid-request error and nothing written", iso, err, written)
		}
	}
}

// TestCompactedSnapshot: when the snapshot revision is compacted while an
// attempt still reads at it, the attempt runs again from a fresh snapshot
// instead of failing.
func TestCompactedSnapshot(t *testing.T) {
	ctx := testCtx(t)
	c, other := open(t), open(t)
	a, b := prefix(t)+"a", prefix(t)+"b"
	put(t, c, a, "1")
	put(t, c, b, "2")
	var calls int
	res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
		calls++
		if _, err := tx.Get(ctx, a); err != nil {
			return err
		}
		if tx.Attempt() == 1 {
			rev := put(t, other, prefix(t)+"bump", "x")
			if _, err := other.Compact(ctx, kv.New().WithRev(rev)); err != nil {
				return err
			}
		}
		v, err := tx.Get(ctx, b)
		if err != nil {
			if tx.Attempt() == 1 && !errors.Is(err, conn.ErrCompacted) {
				t.Errorf("read at the compacted snapshot: %v, want ErrCompacted", err)
			}
			return err
		}
		tx.Put(a, v)
		return nil
	}).WithBackoff(fast))
	if err != nil || res.Attempts != 2 || calls != 2 {
		t.Fatalf("Run: %v after %d attempts (%d calls); want a commit on attempt 2", err, res.Attempts, calls)
	}
	if v, _ := value(t, c, a); v != "2" {
		t.Errorf("%s = %q", a, v)
	}
}
