package stmtest

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/stm"
)

// conflictEvery returns a function that reads and writes key and, in every
// attempt, has another client change key before the commit: every attempt
// conflicts.
func conflictEvery(t *testing.T, other *conn.Conn, key string, calls *int) stm.Func {
	return func(ctx context.Context, tx *stm.Tx) error {
		*calls++
		v, err := tx.Get(ctx, key)
		if err != nil {
			return err
		}
		put(t, other, key, "theirs")
		tx.Put(key, v+"+mine")
		return nil
	}
}

// TestAttemptsBounded: a transaction that conflicts every time stops after
// the attempts allowed with a *ConflictError naming the attempts and the
// key, calls the hook between attempts, and writes nothing.
func TestAttemptsBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{{"three", 3, 3}, {"one", 1, 1}, {"default", 0, stm.DefaultMaxAttempts}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			c, other := open(t), open(t)
			k := prefix(t) + "k"
			put(t, c, k, "start")
			calls := 0
			var retries []int
			res, err := stm.Run(ctx, c, stm.New(conflictEvery(t, other, k, &calls)).
				WithMaxAttempts(tc.max).WithBackoff(fast).
				WithOnRetry(func(r stm.Retry) {
					retries = append(retries, r.Attempt)
					if !slices.Equal(r.Keys, []string{k}) || r.Delay < 0 || r.Delay > time.Microsecond {
						t.Errorf("retry %+v, want key %s and a delay within the backoff", r, k)
					}
				}))
			var ce *stm.ConflictError
			if !errors.Is(err, stm.ErrConflict) || !errors.As(err, &ce) {
				t.Fatalf("Run: %v, want a *ConflictError", err)
			}
			if ce.Attempts != tc.want || calls != tc.want || res.Attempts != tc.want || res.Committed {
				t.Errorf("error %+v, %d calls, result %+v; want %d attempts and no commit", ce, calls, res, tc.want)
			}
			if !slices.Equal(ce.Keys, []string{k}) {
				t.Errorf("conflict keys %q, want [%s]", ce.Keys, k)
			}
			if want := seq(1, tc.want-1); !slices.Equal(retries, want) {
				t.Errorf("hook saw attempts %v, want %v", retries, want)
			}
			if v, _ := value(t, c, k); v != "theirs" {
				t.Errorf("%s = %q: something of ours was written", k, v)
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// goid returns the id of the calling goroutine, from its stack header.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	return string(buf[:bytes.IndexByte(buf, ' ')])
}

// TestRunsOnCallerGoroutine: every attempt runs on the goroutine that
// called Run.
func TestRunsOnCallerGoroutine(t *testing.T) {
	ctx := testCtx(t)
	c, other := open(t), open(t)
	k := prefix(t) + "k"
	me := goid()
	var ids []string
	calls := 0
	inner := conflictEvery(t, other, k, &calls)
	_, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
		ids = append(ids, goid())
		return inner(ctx, tx)
	}).WithMaxAttempts(3).WithBackoff(fast))
	if !errors.Is(err, stm.ErrConflict) {
		t.Fatal(err)
	}
	if want := []string{me, me, me}; !slices.Equal(ids, want) {
		t.Errorf("attempts ran on goroutines %v, the caller is %s", ids, me)
	}
}

type panicValue struct{ msg string }

// TestPanicPropagates: a panic in the function reaches the caller of Run
// unchanged, on its goroutine, and nothing is written.
func TestPanicPropagates(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	k := prefix(t) + "k"
	want := &panicValue{"boom"}
	got := func() (r any) {
		defer func() { r = recover() }()
		_, _ = stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
			if _, err := tx.Get(ctx, k); err != nil {
				return err
			}
			tx.Put(k, "written")
			panic(want)
		}))
		return nil
	}()
	if got != want {
		t.Fatalf("recovered %v, want the very value the function panicked with", got)
	}
	if _, ok := value(t, c, k); ok {
		t.Error("a panicking transaction wrote its key")
	}
}

var errBusiness = errors.New("not allowed")

// TestErrorReturnedAsIs: an error from the function aborts the transaction
// without writing, and Run returns that very error, after one attempt.
func TestErrorReturnedAsIs(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	k := prefix(t) + "k"
	calls := 0
	res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
		calls++
		tx.Put(k, "written")
		return errBusiness
	}))
	if err != errBusiness || calls != 1 || res.Attempts != 1 || res.Committed {
		t.Fatalf("Run: %v (%d calls, %+v), want errBusiness itself after one call", err, calls, res)
	}
	if _, ok := value(t, c, k); ok {
		t.Error("an aborted transaction wrote its key")
	}
}

// TestFailedReadFailsAttempt: a read that failed fails the attempt even
// when the function ignores the error: Run reports it and writes nothing.
func TestFailedReadFailsAttempt(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	k := prefix(t) + "k"
	for name, read := range map[string]func(ctx context.Context, tx *stm.Tx) error{
		"invalid key": func(ctx context.Context, tx *stm.Tx) error { _, err := tx.Get(ctx, ""); return err },
		"canceled": func(ctx context.Context, tx *stm.Tx) error {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := tx.Get(cctx, k+"/other")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			var readErr error
			_, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
				readErr = read(ctx, tx)
				tx.Put(k, "written")
				return nil // ignores the failed read
			}))
			if err == nil || readErr == nil || !errors.Is(err, readErr) && err.Error() != readErr.Error() {
				t.Fatalf("Run: %v, read: %v; want the read's error", err, readErr)
			}
			if _, ok := value(t, c, k); ok {
				t.Error("an attempt with a failed read was committed")
			}
		})
	}
}

// TestContextStopsRetries: cancelling the context between attempts stops
// Run at once with the context's error; a context that is already done
// runs nothing.
func TestContextStopsRetries(t *testing.T) {
	c, other := open(t), open(t)
	k := prefix(t) + "k"
	ctx, cancel := context.WithCancel(testCtx(t))
	calls := 0
	res, err := stm.Run(ctx, c, stm.New(conflictEvery(t, other, k, &calls)).
		WithMaxAttempts(100).WithBackoff(fast).
		WithOnRetry(func(r stm.Retry) {
			if r.Attempt == 2 {
				cancel()
			}
		}))
	if !errors.Is(err, context.Canceled) || errors.Is(err, stm.ErrConflict) || calls != 2 || res.Attempts != 2 {
		t.Fatalf("Run: %v after %d calls (%+v), want context.Canceled after 2", err, calls, res)
	}

	calls = 0
	_, err = stm.Run(ctx, c, stm.New(conflictEvery(t, other, k, &calls)))
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("Run with a done context: %v after %d calls, want context.Canceled and no call", err, calls)
	}

	// A long pause is cut short by the deadline.
	dctx, dcancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer dcancel()
	calls = 0
	_, err = stm.Run(dctx, c, stm.New(conflictEvery(t, other, k, &calls)).
		WithBackoff(stm.Backoff{Base: time.Hour}))
	if !errors.Is(err, context.DeadlineExceeded) || calls != 1 {
		t.Fatalf("Run with an hour's pause: %v after %d calls, want context.DeadlineExceeded after 1", err, calls)
	}
}

// TestUnknownOutcomeNotRetried: the commit reaches the server but its
// answer is lost, so its fate is unknown to the client. Run reports
// conn.ErrUnknownOutcome and does not run the function again, although
// attempts remain; and indeed the write was applied.
func TestUnknownOutcomeNotRetried(t *testing.T) {
	if len(shared.Endpoints()) != 1 {
		t.Skip("needs a single endpoint to put a proxy in front of")
	}
	px, err := etcdtest.NewProxy(shared.Endpoints()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	c := open(t, px.Addr())
	direct := open(t)
	k := prefix(t) + "k"
	put(t, direct, k, "start")
	ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
	defer cancel()
	calls := 0
	res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
		calls++
		v, err := tx.Get(ctx, k)
		if err != nil {
			return err
		}
		px.Blackhole(etcdtest.ToClient) // the commit goes through; its answer does not
		tx.Put(k, v+"+mine")
		return nil
	}).WithMaxAttempts(5))
	if !errors.Is(err, conn.ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v, want conn.ErrUnknownOutcome and context.DeadlineExceeded", err)
	}
	if calls != 1 || res.Attempts != 1 || res.Committed {
		t.Errorf("%d calls, result %+v; want one attempt, not committed", calls, res)
	}
	// The server did apply it: retrying would have applied it twice.
	wait := testCtx(t)
	for {
		if v, _ := value(t, direct, k); v == "start+mine" {
			break
		} else if v != "start" {
			t.Fatalf("%s = %q", k, v)
		}
		select {
		case <-wait.Done():
			t.Fatal("the commit never showed up")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
