package coalescetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// batchOf makes a connection whose requests of one kind go out in one
// batch exactly when n of them wait: MaxOps n, one batch in flight, and a
// window long enough that no batch leaves earlier by the clock.
func batchOf(t *testing.T, n int) *conn.Conn {
	return open(t, conn.Coalescing{Enabled: true, MaxOps: n, MaxInFlight: 1, Window: time.Minute})
}

// result is one call's answer.
type result struct {
	rev int64
	err error
}

// putAll runs the puts at once and returns their answers in order.
func putAll(ctx context.Context, c *conn.Conn, reqs []kv.Request) []result {
	out := make([]result, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			resp, err := c.Put(ctx, r)
			out[i].err = err
			if err == nil {
				out[i].rev = resp.Header.Revision
			}
		})
	}
	wg.Wait()
	return out
}

// prefix returns a key prefix of the test's own.
func prefix(t *testing.T) string {
	return "coalesce/" + t.Name() + "/" + fmt.Sprint(time.Now().UnixNano()) + "/"
}

func TestWritesShareOneRevision(t *testing.T) {
	const n = 8
	c := batchOf(t, n)
	ctx := testCtx(t)
	p := prefix(t)
	var reqs []kv.Request
	for i := range n {
		reqs = append(reqs, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue(fmt.Sprint(i)))
	}
	res := putAll(ctx, c, reqs)
	for i, r := range res {
		if r.err != nil || r.rev != res[0].rev {
			t.Fatalf("put %d: rev %d, %v; want the batch's revision %d", i, r.rev, r.err, res[0].rev)
		}
	}
	got, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithNoCoalesce())
	if err != nil || len(got.KVs) != n {
		t.Fatalf("read back: %v, %d keys", err, len(got.KVs))
	}
	for _, k := range got.KVs {
		if k.ModRevision != res[0].rev || k.Version != 1 {
			t.Errorf("%s: mod %d version %d, want mod %d version 1", k.Key, k.ModRevision, k.Version, res[0].rev)
		}
	}
	if st := c.CoalesceStats(); st.Batches != 1 || st.Batched != n || st.MaxBatch != n {
		t.Errorf("stats %v, want one batch of %d", st, n)
	}

	// n gets in one batch: each its own answer, one revision.
	var wg sync.WaitGroup
	revs := make([]int64, n)
	for i := range n {
		wg.Go(func() {
			r, err := c.Get(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)))
			if err != nil || len(r.KVs) != 1 || string(r.KVs[0].Value) != fmt.Sprint(i) {
				t.Errorf("get %d: %v %+v", i, err, r)
				return
			}
			revs[i] = r.Header.Revision
		})
	}
	wg.Wait()
	for i := range revs {
		if revs[i] != revs[0] || revs[i] < res[0].rev {
			t.Errorf("get %d at revision %d, want all at one revision ≥ %d: %v", i, revs[i], res[0].rev, revs)
		}
	}
	if st := c.CoalesceStats(); st.Batches != 2 || st.Batched != 2*n {
		t.Errorf("stats %v, want two batches of %d", st, n)
	}
}

func TestFailedBatchResentAlone(t *testing.T) {
	const n = 6
	c := batchOf(t, n)
	ctx := testCtx(t)
	p := prefix(t)
	var reqs []kv.Request
	for i := range n {
		r := kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue("v")
		if i == 2 {
			r = r.WithLease(0x7eadbeef) // no such lease: etcd refuses the whole txn
		}
		reqs = append(reqs, r)
	}
	res := putAll(ctx, c, reqs)
	seen := map[int64]bool{}
	for i, r := range res {
		if i == 2 {
			if !errors.Is(r.err, conn.ErrLeaseNotFound) || errors.Is(r.err, conn.ErrUnknownOutcome) {
				t.Errorf("put on a missing lease = %v, want ErrLeaseNotFound, known not applied", r.err)
			}
			if r.err != nil && !strings.Contains(r.err.Error(), "Put") {
				t.Errorf("the error names another call: %v", r.err)
			}
			continue
		}
		if r.err != nil {
			t.Errorf("put %d failed for another request's fault: %v", i, r.err)
		}
		if seen[r.rev] {
			t.Errorf("put %d shares revision %d: it was not resent alone", i, r.rev)
		}
		seen[r.rev] = true
	}
	got, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly().WithNoCoalesce())
	if err != nil || got.Count != n-1 {
		t.Errorf("keys written: %v %d, want %d", err, got.Count, n-1)
	}
	if st := c.CoalesceStats(); st.Batches != 1 || st.Resent != n {
		t.Errorf("stats %v, want one batch, all %d resent", st, n)
	}
}

func TestOverlappingWritesSplit(t *testing.T) {
	const n = 5
	c := batchOf(t, n)
	ctx := testCtx(t)
	p := prefix(t)
	reqs := []kv.Request{
		kv.New().WithKey(p + "a").WithValue("1"),
		kv.New().WithKey(p + "a").WithValue("2"), // the same key
		kv.New().WithKey(p + "b").WithValue("1"),
		kv.New().WithKey(p + "c").WithValue("1"),
		kv.New().WithKey(p + "d").WithValue("1"),
	}
	res := putAll(ctx, c, reqs)
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("put %d: %v (etcd refuses a txn writing a key twice: they must not share one)", i, r.err)
		}
	}
	if res[0].rev == res[1].rev {
		t.Errorf("two puts of one key share revision %d", res[0].rev)
	}
	got, err := c.Get(ctx, kv.New().WithKey(p+"a").WithNoCoalesce())
	if err != nil || got.KVs[0].Version != 2 {
		t.Errorf("the key written twice: %v %+v", err, got)
	}
	// Deletes of ranges overlap puts in them.
	res = putAll(ctx, c, []kv.Request{
		kv.New().WithKey(p + "x").WithValue("1"), kv.New().WithKey(p + "y").WithValue("1"),
		kv.New().WithKey(p + "z").WithValue("1"), kv.New().WithKey(p + "w").WithValue("1"),
		kv.New().WithKey(p + "v").WithValue("1"),
	})
	for _, r := range res {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	var wg sync.WaitGroup
	var delErr error
	var deleted int64
	for i, r := range []kv.Request{kv.New().WithKey(p + "x").WithValue("2"), kv.New().WithKey(p + "y").WithValue("2"),
		kv.New().WithKey(p + "z").WithValue("2"), kv.New().WithKey(p + "w").WithValue("2")} {
		wg.Go(func() {
			if _, err := c.Put(ctx, r); err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
	}
	wg.Go(func() {
		r, err := c.Delete(ctx, kv.New().WithKey(p+"v").WithRangeEnd(p+"zz"))
		delErr = err
		if err == nil {
			deleted = r.Deleted
		}
	})
	wg.Wait()
	if delErr != nil || deleted < 1 {
		t.Errorf("range delete: %v, deleted %d", delErr, deleted)
	}
	// A batch etcd refused for a key written twice would have been resent
	// alone, with the same answers: only the counts tell.
	if st := c.CoalesceStats(); st.Resent != 0 || st.Batches < 3 {
		t.Errorf("stats %v: want at least three batches, none refused", st)
	}
}

func TestKindsNeverMixed(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b func(context.Context, *conn.Conn, string) error
		mix  bool // the two may share a batch
	}{
		{"linearizable+linearizable", get(false), get(false), true},
		{"serializable+serializable", get(true), get(true), true},
		{"linearizable+serializable", get(false), get(true), false},
		{"put+get", put, get(false), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Two requests, MaxOps 2: a batch leaves at once if both may
			// share it; otherwise each waits out the window alone.
			c := open(t, conn.Coalescing{Enabled: true, MaxOps: 2, MaxInFlight: 1, Window: 2 * time.Second})
			ctx := testCtx(t)
			p := prefix(t)
			var wg sync.WaitGroup
			wg.Go(func() {
				if err := tc.a(ctx, c, p+"a"); err != nil {
					t.Error(err)
				}
			})
			wg.Go(func() {
				if err := tc.b(ctx, c, p+"b"); err != nil {
					t.Error(err)
				}
			})
			wg.Wait()
			st := c.CoalesceStats()
			if tc.mix && (st.Batches != 1 || st.Alone != 0) {
				t.Errorf("stats %v, want the two in one batch", st)
			}
			if !tc.mix && (st.Batches != 0 || st.Alone != 2) {
				t.Errorf("stats %v, want each alone", st)
			}
		})
	}
}

func get(serializable bool) func(context.Context, *conn.Conn, string) error {
	return func(ctx context.Context, c *conn.Conn, k string) error {
		r := kv.New().WithKey(k)
		if serializable {
			r = r.WithSerializable()
		}
		_, err := c.Get(ctx, r)
		return err
	}
}

func put(ctx context.Context, c *conn.Conn, k string) error {
	_, err := c.Put(ctx, kv.New().WithKey(k).WithValue("v"))
	return err
}

func TestOptOutAndLimits(t *testing.T) {
	// A window of a minute and MaxOps 3: a request that joined a batch
	// would wait for two more; the opt-out and the oversized request do not.
	c := open(t, conn.Coalescing{Enabled: true, MaxOps: 3, MaxBytes: 1024, MaxInFlight: 1, Window: time.Minute})
	p := prefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, kv.New().WithKey(p+"alone").WithValue("v").WithNoCoalesce()); err != nil {
		t.Fatalf("opted-out put: %v", err)
	}
	if _, err := c.Get(ctx, kv.New().WithKey(p+"alone").WithNoCoalesce()); err != nil {
		t.Fatalf("opted-out get: %v", err)
	}
	if st := c.CoalesceStats(); st != (conn.CoalesceStats{Enabled: true, MaxOps: 3, MaxBytes: 1024}) {
		t.Errorf("opted-out requests counted: %v", st)
	}
	// Two puts, the second larger than MaxBytes: the first waits for
	// company until the second comes, then each goes alone, one after the
	// other, rather than waiting out the window.
	var wg sync.WaitGroup
	for i, v := range []string{"small", strings.Repeat("x", 2048)} {
		wg.Go(func() {
			if _, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%sbig%d", p, i)).WithValue(v)); err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
		waitQueued(t, c, 1)
	}
	wg.Wait()
	if st := c.CoalesceStats(); st.Batches != 0 || st.Alone != 2 {
		t.Errorf("stats %v, want two requests alone", st)
	}
}

func TestCancelled(t *testing.T) {
	p := prefix(t)
	t.Run("queued", func(t *testing.T) {
		// Never sent: a batch of two never forms.
		c := batchOf(t, 2)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c.Put(ctx, kv.New().WithKey(p+"queued").WithValue("v"))
		var ce *conn.Error
		if !errors.As(err, &ce) || !ce.NotSent || errors.Is(err, conn.ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, conn.ErrUnavailable) {
			t.Fatalf("put cancelled while queued = %v, want not sent, deadline exceeded (not unavailable: the endpoint was fine)", err)
		}
		r, err := c.Get(testCtx(t), kv.New().WithKey(p+"queued").WithNoCoalesce())
		if err != nil || len(r.KVs) != 0 {
			t.Errorf("the cancelled put was written: %v %+v", err, r)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		// The answer to a batch is lost: its writes wait until their
		// contexts end, then report an unknown outcome; the batch's call
		// ends once none waits.
		px, err := etcdtest.NewProxy(shared.Endpoints()[0])
		if err != nil {
			t.Fatal(err)
		}
		defer px.Close()
		dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
		defer dcancel()
		c, err := conn.New(dctx, conn.Config{Endpoints: []string{px.Addr()}, DisableRotation: true,
			Coalescing: conn.Coalescing{Enabled: true, MaxOps: 2, MaxInFlight: 1, Window: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// One answered call: the endpoint's health check has passed.
		if _, err := c.Get(dctx, kv.New().WithKey(p).WithNoCoalesce()); err != nil {
			t.Fatal(err)
		}
		px.Blackhole(etcdtest.ToClient)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range 3 {
			wg.Go(func() {
				if i < 2 {
					_, errs[i] = c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%sinflight%d", p, i)).WithValue("v"))
				} else {
					_, errs[i] = c.Get(ctx, kv.New().WithKey(p+"inflight0").WithNoCoalesce())
				}
			})
		}
		wg.Wait()
		for i, err := range errs[:2] {
			if !errors.Is(err, conn.ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("put %d in a batch whose answer was lost = %v, want unknown outcome, deadline exceeded", i, err)
			}
		}
		if st := c.CoalesceStats(); st.Batches != 1 || st.Batched != 2 {
			t.Errorf("stats %v, want one batch of the two puts", st)
		}
		if errs[2] == nil || errors.Is(errs[2], conn.ErrUnknownOutcome) {
			t.Errorf("get = %v, want an error that is not an unknown outcome", errs[2])
		}
		px.Heal()
	})
}

// waitQueued waits until n requests wait to be batched on c.
func waitQueued(t *testing.T, c *conn.Conn, n int) {
	t.Helper()
	for i := 0; c.CoalesceStats().Queued < n; i++ {
		if i == 2000 {
			t.Fatalf("never %d queued: %v", n, c.CoalesceStats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCloseFailsQueued: closing the connection fails the requests waiting
// to be batched at once, as not sent, rather than after the window.
func TestCloseFailsQueued(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(),
		Coalescing: conn.Coalescing{Enabled: true, MaxOps: 3, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	p := prefix(t)
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			_, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue("v"))
			errs <- err
		}()
	}
	waitQueued(t, c, 2)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := <-errs
		var ce *conn.Error
		if !errors.As(err, &ce) || !ce.NotSent || !errors.Is(err, conn.ErrClosed) || errors.Is(err, conn.ErrUnknownOutcome) {
			t.Errorf("queued put at close = %v, want ErrClosed, not sent", err)
		}
	}
	if _, err := c.Put(ctx, kv.New().WithKey(p).WithValue("v")); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("put after close = %v, want ErrClosed", err)
	}
}

// TestServerLimitsLearned: on a server whose --max-txn-ops (4) and
// --max-request-bytes are below the connection's limits, the refused batch
// is resent call by call with every answer right, and later batches stay
// under what the server refused.
func TestServerLimitsLearned(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithMaxTxnOps(4), etcdtest.WithMaxRequestBytes(4096))
	ctx := testCtx(t)
	for _, tc := range []struct {
		name  string
		n     int
		value string
	}{
		{"ops", 8, "v"},
		{"bytes", 6, strings.Repeat("x", 1000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := conn.New(ctx, conn.Config{Endpoints: s.Endpoints(),
				Coalescing: conn.Coalescing{Enabled: true, MaxOps: tc.n, MaxInFlight: 1, Window: 5 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			p := prefix(t)
			for round := range 2 {
				var reqs []kv.Request
				for i := range tc.n {
					reqs = append(reqs, kv.New().WithKey(fmt.Sprintf("%s%d/%d", p, round, i)).WithValue(tc.value))
				}
				for i, r := range putAll(ctx, c, reqs) {
					if r.err != nil {
						t.Fatalf("round %d put %d: %v", round, i, r.err)
					}
				}
				st := c.CoalesceStats()
				if round == 0 && (st.Batches != 1 || st.Resent != uint64(tc.n)) {
					t.Fatalf("first round: %v, want one batch of %d, refused and resent", st, tc.n)
				}
				// Half the refused batch fits: two batches, none refused.
				if round == 1 && (st.Batches != 3 || st.Batched != uint64(2*tc.n) || st.Resent != uint64(tc.n)) {
					t.Errorf("second round: %v, want two more batches of %d, none resent", st, tc.n/2)
				}
				t.Log(st)
			}
			got, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly().WithNoCoalesce())
			if err != nil || got.Count != int64(2*tc.n) {
				t.Errorf("keys written: %v %d, want %d", err, got.Count, 2*tc.n)
			}
		})
	}
}

// TestPrevKVAnswersFitRecvLimit: puts asking for previous values of 16 KiB
// whose answers fit the connection's 64 KiB receive limit alone but not
// together are never batched together: were they, etcd would apply the
// batch and its answer would be refused by the client, leaving every put's
// outcome unknown.
func TestPrevKVAnswersFitRecvLimit(t *testing.T) {
	ctx := testCtx(t)
	p := prefix(t)
	big := strings.Repeat("x", 16<<10)
	plain := open(t, conn.Coalescing{})
	for i := range 16 {
		if _, err := plain.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue(big)); err != nil {
			t.Fatal(err)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := conn.New(dctx, conn.Config{Endpoints: shared.Endpoints(), MaxCallRecvMsgSize: 64 << 10,
		Coalescing: conn.Coalescing{Enabled: true, MaxOps: 16, MaxInFlight: 1, Window: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			r, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue("y").WithPrevKV())
			if err != nil {
				t.Errorf("put %d: %v", i, err)
				return
			}
			if r.PrevKV == nil || len(r.PrevKV.Value) != len(big) {
				t.Errorf("put %d: previous value of %d bytes, want %d", i, len(r.PrevKV.Value), len(big))
			}
		})
	}
	// Puts without prev_kv still batch beside them.
	for i := range 15 {
		wg.Go(func() {
			if _, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%sother/%d", p, i)).WithValue("y")); err != nil {
				t.Errorf("other put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if st := c.CoalesceStats(); st.Batches == 0 || st.Resent != 0 {
		t.Errorf("stats %v: want batches, none refused", st)
	}
}
