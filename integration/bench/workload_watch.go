package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/watch"
)

// The watch fan-out is a Section: it does not fit the Op model (one
// operation repeated per goroutine), since what it measures is events
// delivered to many watchers. Each cell (watchers N, client) opens N watches of one prefix on
// a connection of its own, then writers put keys under the prefix, each
// waiting until all N watches have delivered its put before the next one
// (a closed loop, so that no client is measured while it falls behind).
// It reports events delivered per second, the put-to-event latency (every
// value carries the time its put started), the client CPU and the
// allocations per delivered event, and the number of watch streams the
// client opened (counted by a gRPC stats handler). The writers use the raw
// gRPC client with reused messages for every client kind, so they cost the
// same in each cell.

func init() {
	RegisterSection(Section{
		Name:  "watch-fanout",
		Desc:  "N watches (1, 100 and 10,000) of one prefix on one connection: events/s, put-to-event latency, CPU and allocations per event, streams opened",
		Run:   runWatchSection,
		Check: checkWatchSection,
	})
}

// The fan-out's settings: full and quick.
const (
	watchWriters         = 4       // concurrent writers, each with its own key
	watchLatencySamples  = 1 << 16 // latency samples kept per cell and round
	watchOpenConcurrency = 16      // goroutines opening the watches of a cell
)

// WatchConfig says how to run the fan-out benchmark.
type WatchConfig struct {
	Watchers []int // watches per cell
	Writers  int   // concurrent writers, each with its own key
	Duration time.Duration
	Warmup   time.Duration
	Rounds   int
	Progress io.Writer
}

// watchConfig is the fan-out's configuration for a run.
func watchConfig(cfg SectionConfig) WatchConfig {
	c := WatchConfig{Watchers: []int{1, 100, 10000}, Writers: watchWriters, Duration: DefaultDuration,
		Warmup: DefaultWarmup, Rounds: max(1, cfg.Rounds), Progress: cfg.Progress}
	if cfg.Quick {
		c.Watchers, c.Duration, c.Warmup = []int{1, 100}, QuickDuration, QuickWarmup
	}
	return c
}

// runWatchSection runs the fan-out and returns its part of the report.
func runWatchSection(ctx context.Context, e *Env, cfg SectionConfig) (string, error) {
	wcfg := watchConfig(cfg)
	results, err := RunWatch(ctx, e, wcfg)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := WriteWatchMarkdown(&b, wcfg, results); err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkWatchSection checks the fan-out part of a quick run's report: a row
// with deliveries for every watch count and client, getcd on exactly one
// watch stream, and a ratio row per watch count.
func checkWatchSection(md string) error {
	_, section, ok := strings.Cut(md, "### Watch fan-out")
	if !ok {
		return errors.New("no watch fan-out section")
	}
	rows := map[string][]string{}
	ratios := map[string]bool{}
	inRatios := false
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "#### Watch ratios") {
			inRatios = true
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| watchers") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if inRatios {
			ratios[cells[0]] = true
			continue
		}
		if len(cells) != 9 {
			return fmt.Errorf("row %q has %d cells, want 9", line, len(cells))
		}
		rows[cells[0]+"|"+cells[1]] = cells
	}
	for _, n := range watchConfig(SectionConfig{Quick: true}).Watchers {
		for _, c := range baseClients {
			row, ok := rows[strconv.Itoa(n)+"|"+c.String()]
			if !ok {
				return fmt.Errorf("no row for %d watches, %s", n, c)
			}
			if v, err := strconv.ParseFloat(row[2], 64); err != nil || v <= 0 {
				return fmt.Errorf("%d watches, %s: events/s %q, want a number above 0", n, c, row[2])
			}
			if c == Getcd && row[8] != "1" {
				return fmt.Errorf("getcd opened %s watch streams for %d watches, want 1", row[8], n)
			}
		}
		if !ratios[strconv.Itoa(n)] {
			return fmt.Errorf("no ratio row for %d watches", n)
		}
	}
	return nil
}

// WatchResult is one fan-out cell summed over its rounds.
type WatchResult struct {
	Watchers int
	Client   Client
	Events   int64
	Wall     time.Duration
	CPU      time.Duration
	HasCPU   bool
	Mallocs  uint64
	Bytes    uint64
	P50, P99 time.Duration
	Streams  int // watch streams the client opened in one round (the most of any round)

	samples []time.Duration
}

// EventsPerSec is the delivery throughput, summed over the watchers.
func (r WatchResult) EventsPerSec() float64 { return float64(r.Events) / r.Wall.Seconds() }

// CPUPerEvent is the client CPU per delivered event in nanoseconds.
func (r WatchResult) CPUPerEvent() float64 { return float64(r.CPU) / float64(r.Events) }

// AllocsPerEvent is the number of heap allocations per delivered event.
func (r WatchResult) AllocsPerEvent() float64 { return float64(r.Mallocs) / float64(r.Events) }

// BytesPerEvent is the number of heap bytes allocated per delivered event.
func (r WatchResult) BytesPerEvent() float64 { return float64(r.Bytes) / float64(r.Events) }

// RunWatch runs the fan-out benchmark: for each watcher count, each client
// kind, interleaved over the rounds as Run does.
func RunWatch(ctx context.Context, e *Env, cfg WatchConfig) ([]WatchResult, error) {
	if cfg.Rounds < 1 || cfg.Duration <= 0 || cfg.Writers < 1 {
		return nil, errors.New("bench: watch: rounds, duration and writers must be positive")
	}
	var out []WatchResult
	for ni, n := range cfg.Watchers {
		var res [numClients]WatchResult
		for c := range res {
			res[c] = WatchResult{Watchers: n, Client: Client(c), HasCPU: true}
		}
		for round := range cfg.Rounds {
			for k := range baseClients {
				c := baseClients[(k+round+ni)%len(baseClients)]
				var r WatchResult
				var err error
				// The watches' goroutines, getcd's and gRPC's included,
				// start inside and carry the labels in a CPU profile.
				labels := pprof.Labels("client", c.String(), "workload", "watch-fanout", "watchers", strconv.Itoa(n))
				pprof.Do(ctx, labels, func(ctx context.Context) { r, err = runFanout(ctx, e, c, n, round, cfg) })
				if err != nil {
					return nil, fmt.Errorf("bench: watch %d %s: %w", n, c, err)
				}
				res[c].add(r)
			}
		}
		for _, c := range baseClients { // GetcdGen is not run: watches have no codec of their own
			res[c].finish()
			if cfg.Progress != nil {
				r := res[c]
				fmt.Fprintf(cfg.Progress, "watch-fanout     n=%-6d %-9s %9.0f events/s %8s cpu/event %6.2f allocs/event p99 %s streams %d\n",
					r.Watchers, r.Client, r.EventsPerSec(), fmtNanos(r.CPUPerEvent(), r.HasCPU), r.AllocsPerEvent(), fmtDur(r.P99), r.Streams)
			}
			out = append(out, res[c])
		}
		if err := e.Cleanup(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *WatchResult) add(o WatchResult) {
	r.Events += o.Events
	r.Wall += o.Wall
	r.CPU += o.CPU
	r.HasCPU = r.HasCPU && o.HasCPU
	r.Mallocs += o.Mallocs
	r.Bytes += o.Bytes
	r.Streams = max(r.Streams, o.Streams)
	r.samples = append(r.samples, o.samples...)
}

func (r *WatchResult) finish() {
	slices.Sort(r.samples)
	r.P50 = percentile(r.samples, 50)
	r.P99 = percentile(r.samples, 99)
	r.samples = nil
}

// fanout is the shared state of one cell: what the watches delivered and
// what the writers wait for.
type fanout struct {
	n         int
	counts    []paddedCount     // events per watch
	remaining []atomic.Int64    // per writer: watches yet to deliver its put
	signal    []chan struct{}   // per writer: all watches delivered its put
	samples   [][]time.Duration // per watch, a share of the latency samples
	nSamples  []int             // per watch, samples taken
	measuring atomic.Bool
}

type paddedCount struct {
	atomic.Int64
	_ [56]byte
}

func newFanout(n, writers int) *fanout {
	f := &fanout{n: n, counts: make([]paddedCount, n), remaining: make([]atomic.Int64, writers),
		signal: make([]chan struct{}, writers), samples: make([][]time.Duration, n), nSamples: make([]int, n)}
	share := max(4, watchLatencySamples/n)
	for i := range f.samples {
		f.samples[i] = make([]time.Duration, share)
	}
	for i := range f.signal {
		f.signal[i] = make(chan struct{}, 1)
	}
	return f
}

// deliver records one event for watch i. The value is the put's start time
// (8 bytes, Unix nanoseconds) and the writer's index. It is called from
// watch i's own goroutine only.
func (f *fanout) deliver(i int, value []byte) {
	if len(value) < 9 {
		return
	}
	if f.measuring.Load() {
		d := time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(value)))
		buf := f.samples[i]
		buf[f.nSamples[i]%len(buf)] = d
		f.nSamples[i]++
	}
	f.counts[i].Add(1)
	w := int(value[8])
	if w < len(f.remaining) && f.remaining[w].Add(-1) == 0 {
		select {
		case f.signal[w] <- struct{}{}:
		default:
		}
	}
}

func (f *fanout) total() int64 {
	var s int64
	for i := range f.counts {
		s += f.counts[i].Load()
	}
	return s
}

// latencies returns the samples taken while measuring.
func (f *fanout) latencies() []time.Duration {
	var out []time.Duration
	for i, buf := range f.samples {
		out = append(out, buf[:min(f.nSamples[i], len(buf))]...)
	}
	return out
}

// streamCounter counts the watch streams a connection opens.
type streamCounter struct{ opened atomic.Int64 }

type streamCounterKey struct{}

func (s *streamCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if info.FullMethodName == "/etcdserverpb.Watch/Watch" {
		return context.WithValue(ctx, streamCounterKey{}, true)
	}
	return ctx
}

func (s *streamCounter) HandleRPC(ctx context.Context, st stats.RPCStats) {
	if _, ok := st.(*stats.Begin); ok && ctx.Value(streamCounterKey{}) != nil {
		s.opened.Add(1)
	}
}

func (s *streamCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (s *streamCounter) HandleConn(context.Context, stats.ConnStats) {}

// watchers is one client's N open watches, each read by its own goroutine
// (one goroutine for the raw stream).
type watchers struct {
	close func() // ends the watches and the connection, waits for the readers
}

// openWatchers opens n watches of prefix for client c on a new connection.
func openWatchers(ctx context.Context, c Client, eps []string, prefix string, f *fanout, sc *streamCounter) (*watchers, error) {
	dial := grpc.WithStatsHandler(sc)
	var readers sync.WaitGroup
	switch c {
	case Getcd:
		cn, err := conn.New(ctx, conn.Config{Endpoints: eps, DialOptions: []grpc.DialOption{dial}})
		if err != nil {
			return nil, err
		}
		ws := make([]*watch.Watcher, f.n)
		err = parallel(f.n, func(i int) error {
			w, err := watch.Open(context.WithoutCancel(ctx), cn, watch.Prefix(prefix))
			ws[i] = w
			return err
		})
		if err != nil {
			cn.Close()
			return nil, err
		}
		for i, w := range ws {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for r, err := range w.Responses() {
					if err != nil {
						return
					}
					for _, ev := range r.Events {
						f.deliver(i, ev.KV.Value)
					}
				}
			}()
		}
		return &watchers{close: func() {
			for _, w := range ws {
				w.Close()
			}
			readers.Wait()
			cn.Close()
		}}, nil

	case Official:
		cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
			Context: ctx, DialOptions: []grpc.DialOption{dial}})
		if err != nil {
			return nil, err
		}
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		chans := make([]clientv3.WatchChan, f.n)
		err = parallel(f.n, func(i int) error {
			ch := cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
			r, ok := <-ch
			if !ok || !r.Created {
				return fmt.Errorf("official watch %d: no created response: %v", i, r.Err())
			}
			chans[i] = ch
			return nil
		})
		if err != nil {
			cancel()
			cli.Close()
			return nil, err
		}
		for i, ch := range chans {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for r := range ch {
					for _, ev := range r.Events {
						f.deliver(i, ev.Kv.Value)
					}
				}
			}()
		}
		return &watchers{close: func() {
			cancel()
			readers.Wait()
			cli.Close()
		}}, nil

	case Raw:
		cc, err := grpc.NewClient("passthrough:///"+eps[0], grpc.WithTransportCredentials(insecure.NewCredentials()), dial)
		if err != nil {
			return nil, err
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stream, err := pb.NewWatchClient(cc).Watch(sctx, grpc.WaitForReady(true))
		if err != nil {
			cancel()
			cc.Close()
			return nil, err
		}
		// The reader runs before the creates go out: the server stops
		// reading requests while its answers wait to be read.
		created := make(chan error, 1)
		readers.Add(1)
		go func() {
			defer readers.Done()
			n := 0
			for {
				r, err := stream.Recv()
				if err != nil {
					if n < f.n {
						created <- err
					}
					return
				}
				if r.Created {
					// The server numbers a new stream's watches 0, 1, ... in order.
					if r.Canceled || r.WatchId != int64(n) {
						created <- fmt.Errorf("raw watch %d created as %d: %s", n, r.WatchId, r.CancelReason)
						return
					}
					if n++; n == f.n {
						created <- nil
					}
					continue
				}
				if i := int(r.WatchId); i >= 0 && i < f.n {
					for _, ev := range r.Events {
						f.deliver(i, ev.Kv.Value)
					}
				}
			}
		}()
		for i := 0; i < f.n && err == nil; i++ {
			err = stream.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{
				Key: []byte(prefix), RangeEnd: []byte(prefixEnd(prefix))}}})
		}
		if err == nil {
			err = <-created
		}
		if err != nil {
			cancel()
			readers.Wait()
			cc.Close()
			return nil, err
		}
		return &watchers{close: func() {
			cancel()
			readers.Wait()
			cc.Close()
		}}, nil
	}
	return nil, fmt.Errorf("unknown client %v", c)
}

// parallel runs f(0..n-1) on a few goroutines and returns the first error.
func parallel(n int, f func(int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(n, watchOpenConcurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// runFanout runs one cell once.
func runFanout(ctx context.Context, e *Env, c Client, n, round int, cfg WatchConfig) (WatchResult, error) {
	prefix := e.Key("watch", n, c, round) + "/"
	f := newFanout(n, cfg.Writers)
	sc := &streamCounter{}
	ws, err := openWatchers(ctx, c, e.Getcd.Endpoints(), prefix, f, sc)
	if err != nil {
		return WatchResult{}, fmt.Errorf("open %d watches: %w", n, err)
	}
	closed := false
	defer func() {
		if !closed {
			ws.close()
		}
	}()

	var stop atomic.Bool
	var writers sync.WaitGroup
	errc := make(chan error, cfg.Writers)
	for w := range cfg.Writers {
		writers.Add(1)
		go func() {
			defer writers.Done()
			value := make([]byte, 9)
			value[8] = byte(w)
			req := &pb.PutRequest{Key: []byte(fmt.Sprintf("%sw%d", prefix, w)), Value: value}
			for !stop.Load() {
				f.remaining[w].Store(int64(n))
				binary.BigEndian.PutUint64(value, uint64(time.Now().UnixNano()))
				if _, err := e.Raw.Put(ctx, req); err != nil {
					errc <- err
					return
				}
				select {
				case <-f.signal[w]:
				case <-ctx.Done():
					return
				case <-time.After(30 * time.Second):
					errc <- fmt.Errorf("writer %d: %d of %d watches did not deliver a put within 30s", w, f.remaining[w].Load(), n)
					return
				}
			}
		}()
	}
	if cfg.Warmup > 0 {
		sleep(ctx, cfg.Warmup)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0, ok0 := cpuTime()
	ev0 := f.total()
	f.measuring.Store(true)
	t0 := time.Now()
	timer.Reset(cfg.Duration)
	select {
	case <-timer.C:
	case <-ctx.Done():
	case err := <-errc:
		stop.Store(true)
		writers.Wait()
		return WatchResult{}, err
	}
	ev1 := f.total()
	wall := time.Since(t0)
	cpu1, ok1 := cpuTime()
	f.measuring.Store(false)
	runtime.ReadMemStats(&m1)
	stop.Store(true)
	writers.Wait()
	select {
	case err := <-errc:
		return WatchResult{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return WatchResult{}, err
	}
	if ev1 == ev0 {
		return WatchResult{}, errors.New("no event delivered")
	}
	ws.close() // the readers have exited: the samples are theirs no more
	closed = true
	return WatchResult{
		Watchers: n, Client: c, Events: ev1 - ev0, Wall: wall,
		CPU: time.Duration(cpu1 - cpu0), HasCPU: ok0 && ok1,
		Mallocs: m1.Mallocs - m0.Mallocs, Bytes: m1.TotalAlloc - m0.TotalAlloc,
		Streams: int(sc.opened.Load()), samples: f.latencies(),
	}, nil
}

// WriteWatchMarkdown writes the fan-out section of the report.
func WriteWatchMarkdown(w io.Writer, cfg WatchConfig, results []WatchResult) error {
	var b strings.Builder
	b.WriteString("### Watch fan-out: N watches of one prefix on one connection\n\n")
	fmt.Fprintf(&b, "N watches of one prefix on one connection per client (a new one per cell); %d writers each put a key "+
		"under the prefix and wait until all N watches delivered it (closed loop); %d round(s) × %v after %v warm-up. "+
		"events/s counts deliveries summed over the watches; latency is put start → event at a watch, sampled; "+
		"CPU, allocs and B are per delivered event and include the writers' puts (raw gRPC, the same for every client). "+
		"streams: watch streams the client opened.\n\n", cfg.Writers, cfg.Rounds, cfg.Duration, cfg.Warmup)
	b.WriteString("| watchers | client | events/s | CPU/event | allocs/event | B/event | p50 | p99 | streams |\n")
	b.WriteString("|--:|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %s | %.2f | %.0f | %s | %s | %d |\n", r.Watchers, r.Client, r.EventsPerSec(),
			fmtNanos(r.CPUPerEvent(), r.HasCPU), r.AllocsPerEvent(), r.BytesPerEvent(), fmtDur(r.P50), fmtDur(r.P99), r.Streams)
	}
	b.WriteString("\n#### Watch ratios getcd / official and getcd / raw\n\n")
	b.WriteString("| watchers | events/s ÷ official | events/s ÷ raw | CPU/event ÷ official | CPU/event ÷ raw | allocs/event ÷ official | allocs/event ÷ raw | p99 ÷ official | p99 ÷ raw |\n")
	b.WriteString("|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	by := map[int]*[numClients]*WatchResult{}
	var order []int
	for i := range results {
		r := &results[i]
		if by[r.Watchers] == nil {
			by[r.Watchers] = &[numClients]*WatchResult{}
			order = append(order, r.Watchers)
		}
		by[r.Watchers][r.Client] = r
	}
	for _, n := range order {
		g, o, r := by[n][Getcd], by[n][Official], by[n][Raw]
		if g == nil || o == nil || r == nil {
			continue
		}
		cpu := func(x *WatchResult) float64 {
			if !g.HasCPU || !x.HasCPU {
				return math.NaN()
			}
			return div(g.CPUPerEvent(), x.CPUPerEvent())
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", n,
			fmtRatio(div(g.EventsPerSec(), o.EventsPerSec())), fmtRatio(div(g.EventsPerSec(), r.EventsPerSec())),
			fmtRatio(cpu(o)), fmtRatio(cpu(r)),
			fmtRatio(div(g.AllocsPerEvent(), o.AllocsPerEvent())), fmtRatio(div(g.AllocsPerEvent(), r.AllocsPerEvent())),
			fmtRatio(div(float64(g.P99), float64(o.P99))), fmtRatio(div(float64(g.P99), float64(r.P99))))
	}
	b.WriteString("\nClients: `getcd` is watch.Open on conn.Conn, read with Watcher.Responses, one goroutine per watch; " +
		"`official` is clientv3.Watch read from its channel, one goroutine per watch; " +
		"`raw` is one etcdserverpb.Watch stream with N create requests read by one goroutine (no client library at all).\n")
	_, err := io.WriteString(w, b.String())
	return err
}
