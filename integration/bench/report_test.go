package bench

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
)

// TestRatios checks the ratio arithmetic on made-up results, without a
// server.
func TestRatios(t *testing.T) {
	cell := func(c Client, ops int64, cpu time.Duration, mallocs uint64) Result {
		return Result{Workload: "w", Concurrency: 16, Client: c, Stats: Stats{
			Ops: ops, Wall: time.Second, CPU: cpu, HasCPU: true, Mallocs: mallocs, Bytes: mallocs * 10, P99: time.Millisecond,
		}}
	}
	rs := Ratios([]Result{
		cell(Getcd, 1000, 40*time.Millisecond, 90_000),
		cell(Official, 800, 40*time.Millisecond, 80_000),
		cell(Raw, 1000, 20*time.Millisecond, 45_000),
	})
	if len(rs) != 1 {
		t.Fatalf("%d ratios, want 1", len(rs))
	}
	r := rs[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"CPU vs official", r.CPUVsOfficial, 0.8}, // 40µs/op ÷ 50µs/op
		{"CPU vs raw", r.CPUVsRaw, 2},
		{"allocs vs official", r.AllocsVsOfficial, 0.9},
		{"allocs vs raw", r.AllocsVsRaw, 2},
		{"ops vs official", r.OpsVsOfficial, 1.25},
		{"p99 vs raw", r.P99VsRaw, 1},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// A missing client gives no ratio row; a zero denominator gives n/a.
	if rs := Ratios([]Result{cell(Getcd, 1, 1, 1), cell(Raw, 1, 1, 1)}); len(rs) != 0 {
		t.Errorf("ratios without the official client: %v", rs)
	}
	if got := fmtRatio(div(1, 0)); got != "n/a" {
		t.Errorf("fmtRatio(1/0) = %q, want n/a", got)
	}
}

// TestCoalesceRatios checks the coalescing ratios and batch figures on
// made-up results, without a server.
func TestCoalesceRatios(t *testing.T) {
	cell := func(c Client, ops int64, p50 time.Duration) Result {
		return Result{Workload: "w", Concurrency: 256, Client: c, Stats: Stats{
			Ops: ops, Wall: time.Second, CPU: time.Duration(ops) * time.Microsecond, HasCPU: true, P50: p50, P99: 2 * p50,
		}}
	}
	co := cell(GetcdCoalesce, 6000, time.Millisecond)
	co.Coalesce = addCoalesce(
		conn.CoalesceStats{Enabled: true, Batches: 60, Batched: 5800, Alone: 200, Resent: 1, Waited: 12 * time.Second},
		conn.CoalesceStats{Enabled: true, Batches: 10, Batched: 800, Alone: 0, Waited: 6 * time.Second}, -1)
	results := []Result{cell(Getcd, 2000, 4*time.Millisecond), co, cell(Official, 1500, 4*time.Millisecond), cell(Raw, 3000, 2*time.Millisecond)}
	rs := CoalesceRatios(results)
	if len(rs) != 1 {
		t.Fatalf("%d coalescing ratios, want 1", len(rs))
	}
	r := rs[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"ops/s", r.Ops, 6000},
		{"ops vs raw", r.OpsVsRaw, 2},
		{"ops vs official", r.OpsVsOfficial, 4},
		{"ops vs getcd", r.OpsVsGetcd, 3},
		{"CPU vs raw", r.CPUVsRaw, 1}, // 1 µs/op each
		{"p50 vs getcd", r.P50VsGetcd, 0.25},
		{"p99 vs getcd", r.P99VsGetcd, 0.25},
		{"requests per batch", r.PerBatch, 100}, // 5000 requests in 50 batches
		{"batched", r.Batched, 5000.0 / 5200},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if want := 6 * time.Second / 5200; r.Wait != want {
		t.Errorf("wait per request = %v, want %v", r.Wait, want)
	}
	// Without the official client its ratio is n/a, the others are there.
	rs = CoalesceRatios(slices.DeleteFunc(results, func(r Result) bool { return r.Client == Official }))
	if len(rs) != 1 || !math.IsNaN(rs[0].OpsVsOfficial) || rs[0].OpsVsRaw != 2 {
		t.Errorf("coalescing ratios without the official client: %+v", rs)
	}
	if rs := CoalesceRatios(results[:1]); len(rs) != 0 {
		t.Errorf("coalescing ratios without getcd-coalesce: %v", rs)
	}
}

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	if p := percentile(s, 50); p != 51 {
		t.Errorf("p50 = %v, want 51", p)
	}
	if p := percentile(s, 99); p != 100 {
		t.Errorf("p99 = %v, want 100", p)
	}
	if p := percentile(nil, 99); p != 0 {
		t.Errorf("p99 of nothing = %v, want 0", p)
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500:                     "1.50µs",
		45300:                    "45.3µs",
		321 * time.Microsecond:   "321µs",
		2720 * time.Microsecond:  "2.72ms",
		45500 * time.Microsecond: "45.5ms",
		150 * time.Millisecond:   "150ms",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestWorkloads checks the registry: unique names, every client's op, a
// description, and sorted order.
func TestWorkloads(t *testing.T) {
	ws := Workloads()
	if len(ws) < 7 {
		t.Fatalf("%d workloads, want at least 7", len(ws))
	}
	for i, w := range ws {
		if w.Desc == "" {
			t.Errorf("%s: no description", w.Name)
		}
		for _, c := range Clients {
			if w.newOp(c) == nil {
				t.Errorf("%s: no op for %s", w.Name, c)
			}
		}
		if i > 0 && strings.Compare(ws[i-1].Name, w.Name) >= 0 {
			t.Errorf("workloads not sorted: %s before %s", ws[i-1].Name, w.Name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Register accepted a workload without ops")
		}
	}()
	Register(Workload{Name: "incomplete"})
}
