package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getcd/getcd/conn"
)

// Config says how long and how wide to run.
type Config struct {
	Duration    time.Duration // measured time of one cell in one round
	Warmup      time.Duration // unmeasured run before each measured one
	Rounds      int           // times each cell is run, interleaved with the other clients
	Concurrency []int         // goroutines per cell
	// FixedConcurrency makes Concurrency apply to every workload, even one
	// that has levels of its own (Workload.Concurrency).
	FixedConcurrency bool
	Workloads        []Workload
	// Clients, when set, are the only client kinds run (each workload
	// still runs only the kinds it has).
	Clients  []Client
	Progress io.Writer // one line per cell; nil for none
}

// latencySamples bounds the latencies kept per cell: one buffer of this
// many durations is allocated once per run and shared out between the
// goroutines of each cell, so that recording a latency never allocates.
// A goroutine that fills its share overwrites its oldest samples.
const latencySamples = 1 << 18

// Result is one cell summed over its rounds.
type Result struct {
	Workload    string
	Concurrency int
	Client      Client
	Stats
}

// Stats are the measurements of a cell.
type Stats struct {
	Ops     int64
	Wall    time.Duration // measured time, summed over rounds
	CPU     time.Duration // client process user+sys during Wall
	HasCPU  bool
	Mallocs uint64
	Bytes   uint64
	P50     time.Duration
	P99     time.Duration

	// Attempts counts the tries the operations reported (Env.CountAttempts),
	// for workloads that retry (STM); 0 for the others.
	Attempts int64

	// Coalesce is what the connection's coalescing did during the measured
	// phase (GetcdCoalesce only; MaxBatch is not set).
	Coalesce conn.CoalesceStats

	samples []time.Duration
}

// OpsPerSec is the throughput.
func (s Stats) OpsPerSec() float64 { return float64(s.Ops) / s.Wall.Seconds() }

// CPUPerOp is the client CPU per operation in nanoseconds.
func (s Stats) CPUPerOp() float64 { return float64(s.CPU) / float64(s.Ops) }

// AllocsPerOp is the number of heap allocations per operation.
func (s Stats) AllocsPerOp() float64 { return float64(s.Mallocs) / float64(s.Ops) }

// BytesPerOp is the number of heap bytes allocated per operation.
func (s Stats) BytesPerOp() float64 { return float64(s.Bytes) / float64(s.Ops) }

// AttemptsPerOp is the number of tries per completed operation, or NaN for
// a workload that does not count them.
func (s Stats) AttemptsPerOp() float64 {
	if s.Attempts == 0 {
		return math.NaN()
	}
	return float64(s.Attempts) / float64(s.Ops)
}

// Levels returns the concurrency levels workload w runs at.
func (cfg Config) Levels(w Workload) []int {
	if w.Concurrency != nil && !cfg.FixedConcurrency {
		return w.Concurrency
	}
	return cfg.Concurrency
}

// Run runs every workload at every concurrency with every client, and
// returns the results in the order workload, concurrency, client.
func Run(ctx context.Context, e *Env, cfg Config) ([]Result, error) {
	if cfg.Rounds < 1 {
		return nil, errors.New("bench: rounds must be at least 1")
	}
	if cfg.Duration <= 0 {
		return nil, errors.New("bench: duration must be positive")
	}
	lat := make([]time.Duration, latencySamples)
	var out []Result
	for _, w := range cfg.Workloads {
		if w.Setup != nil {
			if err := w.Setup(ctx, e); err != nil {
				return nil, fmt.Errorf("bench: %s: setup: %w", w.Name, err)
			}
		}
		clients := w.clients()
		if cfg.Clients != nil {
			clients = slices.DeleteFunc(clients, func(c Client) bool { return !slices.Contains(cfg.Clients, c) })
		}
		if len(clients) == 0 {
			continue
		}
		for ci, n := range cfg.Levels(w) {
			res := make([]Result, len(clients))
			for i, c := range clients {
				res[i] = Result{Workload: w.Name, Concurrency: n, Client: c, Stats: Stats{HasCPU: true}}
			}
			for round := range cfg.Rounds {
				// Rotate the order so that each client runs first, second,
				// third (and fourth) about equally often.
				for k := range clients {
					i := (k + round + ci) % len(clients)
					c := clients[i]
					s, err := runCell(ctx, e, w, c, n, cfg, lat)
					if err != nil {
						return nil, fmt.Errorf("bench: %s c=%d %s: %w", w.Name, n, c, err)
					}
					res[i].add(s)
				}
			}
			for c := range res {
				res[c].finish()
				if cfg.Progress != nil {
					r := res[c]
					fmt.Fprintf(cfg.Progress, "%-12s c=%-4d %-14s %9.0f ops/s %8s cpu/op %7.1f allocs/op p99 %s\n",
						r.Workload, r.Concurrency, r.Client, r.OpsPerSec(), fmtNanos(r.CPUPerOp(), r.HasCPU), r.AllocsPerOp(), fmtDur(r.P99))
				}
				out = append(out, res[c])
			}
			// Drop the history the cells wrote, outside any measurement,
			// so that every cell meets a store of about the same size.
			if err := e.Cleanup(ctx); err != nil {
				return nil, err
			}
			if w.Setup != nil {
				if err := w.Setup(ctx, e); err != nil {
					return nil, fmt.Errorf("bench: %s: setup: %w", w.Name, err)
				}
			}
		}
	}
	return out, nil
}

func (s *Stats) add(o Stats) {
	s.Ops += o.Ops
	s.Wall += o.Wall
	s.CPU += o.CPU
	s.HasCPU = s.HasCPU && o.HasCPU
	s.Mallocs += o.Mallocs
	s.Bytes += o.Bytes
	s.Attempts += o.Attempts
	s.Coalesce = addCoalesce(s.Coalesce, o.Coalesce, 1)
	s.samples = append(s.samples, o.samples...)
}

func (s *Stats) finish() {
	slices.Sort(s.samples)
	s.P50 = percentile(s.samples, 50)
	s.P99 = percentile(s.samples, 99)
	s.samples = nil
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)*p/100, len(sorted)-1)]
}

// runCell runs one client on one workload with n goroutines: prepare the
// ops, warm up, then measure for cfg.Duration. Everything that allocates
// (goroutines, ops, the copy of the latencies) happens outside the
// measured phase. The goroutines carry pprof labels, so a CPU profile can
// be cut by client and workload.
func runCell(ctx context.Context, e *Env, w Workload, c Client, n int, cfg Config, lat []time.Duration) (Stats, error) {
	newOp := w.newOp(c)
	ops := make([]Op, n)
	for i := range ops {
		op, err := newOp(ctx, e, i)
		if err != nil {
			return Stats{}, fmt.Errorf("prepare: %w", err)
		}
		ops[i] = op
	}
	share := len(lat) / n
	counts := make([]int64, n)
	var (
		warmStop, stop atomic.Bool
		firstFailed    atomic.Bool
		warmed, done   sync.WaitGroup
		start          = make(chan struct{})
		errOnce        sync.Once
		firstErr       error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		firstFailed.Store(true)
		warmStop.Store(true)
		stop.Store(true)
	}
	labels := pprof.Labels("client", c.String(), "workload", w.Name, "concurrency", strconv.Itoa(n))
	warmed.Add(n)
	done.Add(n)
	for i, op := range ops {
		buf := lat[i*share : (i+1)*share]
		go pprof.Do(ctx, labels, func(ctx context.Context) {
			defer done.Done()
			for !warmStop.Load() {
				if err := op(ctx); err != nil {
					fail(err)
				}
			}
			warmed.Done()
			<-start
			// Every goroutine completes at least one measured op, so that
			// even a tiny -dur on a loaded machine measures something.
			var k int64
			for !firstFailed.Load() {
				t0 := time.Now()
				err := op(ctx)
				d := time.Since(t0)
				if err != nil {
					fail(err)
					break
				}
				buf[k%int64(len(buf))] = d
				k++
				if stop.Load() {
					break
				}
			}
			counts[i] = k
		})
	}
	if cfg.Warmup > 0 {
		sleep(ctx, cfg.Warmup)
	}
	warmStop.Store(true)
	warmed.Wait()

	// The timer exists before the measurement, so that waiting for the end
	// of it allocates nothing inside it.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0, ok0 := cpuTime()
	tries0 := e.attempts.Load()
	co0 := coalesceStats(e, c)
	t0 := time.Now()
	close(start)
	timer.Reset(cfg.Duration)
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	stop.Store(true)
	done.Wait()
	wall := time.Since(t0)
	co1 := coalesceStats(e, c)
	tries1 := e.attempts.Load()
	cpu1, ok1 := cpuTime()
	runtime.ReadMemStats(&m1)

	if firstErr != nil {
		return Stats{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	s := Stats{
		Wall:    wall,
		CPU:     time.Duration(cpu1 - cpu0),
		HasCPU:  ok0 && ok1,
		Mallocs: m1.Mallocs - m0.Mallocs,
		Bytes:   m1.TotalAlloc - m0.TotalAlloc,
		// Counted by the measured operations only: the warm-up ones ended
		// before tries0 was read.
		Attempts: tries1 - tries0,
		// Every measured operation has ended, and none of the warm-up
		// ones was still running when co0 was read.
		Coalesce: addCoalesce(co1, co0, -1),
	}
	for i, k := range counts {
		s.Ops += k
		buf := lat[i*share : (i+1)*share]
		s.samples = append(s.samples, buf[:min(k, int64(len(buf)))]...)
	}
	if s.Ops == 0 {
		return Stats{}, errors.New("no operation completed")
	}
	return s, nil
}

// coalesceStats reads the counts of the coalescing connection when c is
// GetcdCoalesce.
func coalesceStats(e *Env, c Client) conn.CoalesceStats {
	if c != GetcdCoalesce {
		return conn.CoalesceStats{}
	}
	return e.co.Getcd.CoalesceStats()
}

// addCoalesce returns the counts a + sign×b; MaxBatch, which is no count,
// is left zero.
func addCoalesce(a, b conn.CoalesceStats, sign int) conn.CoalesceStats {
	f := func(x, y uint64) uint64 { return x + uint64(sign)*y }
	return conn.CoalesceStats{Enabled: a.Enabled || b.Enabled, Batches: f(a.Batches, b.Batches), Batched: f(a.Batched, b.Batched),
		Alone: f(a.Alone, b.Alone), Resent: f(a.Resent, b.Resent), Waited: a.Waited + time.Duration(sign)*b.Waited}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
