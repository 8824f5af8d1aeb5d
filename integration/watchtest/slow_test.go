package watchtest

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/watch"
)

// TestSlowConsumer writes many events (20,000 of 2 KiB; 100,000 with
// GETCD_SOAK=1) in transactions of 100 puts to an etcd process while the
// watch's consumer reads nothing. The watch must pause instead of
// buffering (cancel requests seen by gRPC) and the client's live heap must
// stay far below the data written; when the consumer reads, it must get
// every event exactly once, in order, through the resumed watch.
func TestSlowConsumer(t *testing.T) {
	events := 20_000
	if os.Getenv("GETCD_SOAK") == "1" {
		events = 100_000
	}
	const perTxn, valueSize = 100, 2048
	srv := etcdtest.StartProcess(t, etcdBin, etcdtest.WithDedicated())
	ctx := testCtx(t)
	st := &streamStats{}
	c := open(t, srv.Endpoints(), st.config())
	writer := open(t, srv.Endpoints(), conn.Config{})
	const p = "slow/"
	now, err := writer.Get(ctx, kv.New().WithKey(p))
	if err != nil {
		t.Fatal(err)
	}
	from := now.Header.Revision + 1
	w, err := watch.Open(ctx, c, watch.Prefix(p).WithStartRevision(from))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// The heap is sampled every few milliseconds: the live heap as of the
	// last garbage collection, and the heap allocated including garbage.
	var peakLive, peakAlloc atomic.Uint64
	runtime.GC()
	base := heapLive()
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peakAlloc.Load() {
				peakAlloc.Store(ms.HeapAlloc)
			}
			if l := heapLive(); l > peakLive.Load() {
				peakLive.Store(l)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	value := strings.Repeat("v", valueSize-8)
	txns := events / perTxn
	t0 := time.Now()
	for i := range txns {
		ops := make([]op.Op, perTxn)
		for j := range ops {
			ops[j] = op.Put(kv.New().WithKey(fmt.Sprintf("%s%03d", p, j)).WithValue(fmt.Sprintf("%08d", i) + value))
		}
		if _, err := writer.Txn(ctx, op.NewTxn().Then(ops...)); err != nil {
			t.Fatal(err)
		}
	}
	written := time.Since(t0)
	// Everything is written; wait until the watch has paused at least once
	// (it cannot hold 20,000 events in a buffer of 1,024).
	for st.snapshot().cancels == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the watch never paused")
		case <-time.After(10 * time.Millisecond):
		}
	}
	liveWhileStopped, allocWhileStopped := peakLive.Load(), peakAlloc.Load()

	got := 0
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		i, j := got/perTxn, got%perTxn
		if rev := from + int64(i); ev.KV.ModRevision != rev || string(ev.KV.Key) != fmt.Sprintf("%s%03d", p, j) ||
			string(ev.KV.Value[:8]) != fmt.Sprintf("%08d", i) {
			t.Fatalf("event %d: revision %d key %s value %.8s; want revision %d key %s%03d value %08d",
				got, ev.KV.ModRevision, ev.KV.Key, ev.KV.Value, rev, p, j, i)
		}
		if got++; got == events {
			break
		}
	}
	close(stopSampling)
	sampling.Wait()
	s := st.snapshot()
	total := uint64(events * valueSize)
	mib := func(v uint64) float64 { return float64(v-min(base, v)) / (1 << 20) }
	t.Logf("%d events (%d MiB of values) written in %v; the watch paused %d times (%d create requests); "+
		"peak live heap above the start %.1f MiB while the consumer was stopped, %.1f MiB overall "+
		"(heap allocated with garbage: %.1f and %.1f MiB)",
		events, total>>20, written.Round(time.Millisecond), s.cancels, len(s.creates),
		mib(liveWhileStopped), mib(peakLive.Load()), mib(allocWhileStopped), mib(peakAlloc.Load()))
	// While the consumer is stopped the watch holds at most its buffer.
	// While it catches up, the resumed watch receives up to 1,000
	// revisions per message, and etcd sends the first part of a catch-up
	// unfragmented (see the package documentation): the overall peak is
	// reported, not bounded here.
	if grown := liveWhileStopped - min(base, liveWhileStopped); grown > total/4 {
		t.Errorf("live heap grew by %d MiB while %d MiB of events went to a stopped consumer: not bounded", grown>>20, total>>20)
	}
}

// heapLive is the live heap as of the last garbage collection.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
