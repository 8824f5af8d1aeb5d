package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/lease"
)

// Leases: grant and revoke as a workload of the table, and keeping N leases
// alive on one connection as a section of its own (a renewal is not an
// operation a goroutine repeats).
func init() {
	Register(Workload{
		Name: "lease-grant-revoke",
		Desc: "grant a lease (TTL 60 s), then revoke it: two raft writes per op",
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			grant := lease.TTL(60)
			return func(ctx context.Context) error {
				g, err := lease.Grant(ctx, e.Getcd, grant)
				if err == nil {
					_, err = lease.Revoke(ctx, e.Getcd, lease.ID(g.ID))
				}
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			return func(ctx context.Context) error {
				g, err := e.Official.Grant(ctx, 60)
				if err == nil {
					_, err = e.Official.Revoke(ctx, g.ID)
				}
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			lc := pb.NewLeaseClient(e.rawConn)
			m := &pb.LeaseGrantRequest{TTL: 60}
			return func(ctx context.Context) error {
				g, err := lc.LeaseGrant(ctx, m)
				if err == nil {
					_, err = lc.LeaseRevoke(ctx, &pb.LeaseRevokeRequest{ID: g.ID})
				}
				return err
			}, nil
		},
	})
	RegisterSection(Section{
		Name:  "lease-keepalive",
		Desc:  "N leases (1,000 and 10,000) kept alive over one connection: CPU and allocations per renewal, streams opened",
		Run:   runKeepAlive,
		Check: checkKeepAlive,
	})
}

// keepAliveSettings are the section's sizes and times.
type keepAliveSettings struct {
	leases []int
	ttl    int64         // seconds; renewed every ttl/3
	warmup time.Duration // after every lease is kept alive, before measuring
	window time.Duration // measured
}

func keepAliveConfig(quick bool) keepAliveSettings {
	if quick {
		return keepAliveSettings{leases: []int{200}, ttl: 3, warmup: time.Second, window: time.Second}
	}
	// TTL 5 s: renewals every 5/3 s; one period of warm-up, two measured.
	return keepAliveSettings{leases: []int{1000, 10000}, ttl: 5, warmup: 5 * time.Second / 3, window: 10 * time.Second / 3}
}

// keepAliveStats are the measurements of one (leases, client) cell.
type keepAliveStats struct {
	renewals   int64
	wall, cpu  time.Duration
	hasCPU     bool
	mallocs    uint64
	bytes      uint64
	streams    int64 // keep-alive streams begun on the cell's connection
	goroutines int   // more than before the cell, while the leases were kept alive
}

func (s *keepAliveStats) add(o keepAliveStats) {
	s.renewals += o.renewals
	s.wall += o.wall
	s.cpu += o.cpu
	s.hasCPU = s.hasCPU && o.hasCPU
	s.mallocs += o.mallocs
	s.bytes += o.bytes
	s.streams = max(s.streams, o.streams)
	s.goroutines = max(s.goroutines, o.goroutines)
}

func (s keepAliveStats) perRenewal(v float64) float64 { return v / float64(s.renewals) }

// runKeepAlive measures each client keeping N leases alive on a connection
// of its own, in rounds whose order alternates.
func runKeepAlive(ctx context.Context, e *Env, cfg SectionConfig) (string, error) {
	set := keepAliveConfig(cfg.Quick)
	rounds := max(1, min(cfg.Rounds, 2))
	clients := []Client{Getcd, Official}
	res := map[int]map[Client]*keepAliveStats{}
	if !cfg.Quick {
		// An unrecorded round first: the first cell after the workloads
		// meets a server still busy with their cleanup, and a process
		// that has not yet kept any lease alive.
		for _, c := range clients {
			if _, err := keepAliveCell(ctx, e, c, 200, set); err != nil {
				return "", fmt.Errorf("warm-up, %s: %w", c, err)
			}
		}
	}
	for _, n := range set.leases {
		res[n] = map[Client]*keepAliveStats{}
		for round := range rounds {
			for k := range clients {
				c := clients[(k+round)%len(clients)]
				s, err := keepAliveCell(ctx, e, c, n, set)
				if err != nil {
					return "", fmt.Errorf("%d leases, %s: %w", n, c, err)
				}
				if res[n][c] == nil {
					res[n][c] = &keepAliveStats{hasCPU: true}
				}
				res[n][c].add(s)
				fmt.Fprintf(cfg.Progress, "%-16s n=%-6d %-9s %8.0f renewals/s %8s cpu/renewal %6.1f allocs/renewal %d stream(s) %d goroutines\n",
					"lease-keepalive", n, c, float64(s.renewals)/s.wall.Seconds(), fmtNanos(s.perRenewal(float64(s.cpu)), s.hasCPU),
					s.perRenewal(float64(s.mallocs)), s.streams, s.goroutines)
			}
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "### Lease keep-alive: N leases on one connection\n\n")
	first := ""
	if !cfg.Quick {
		first = ", after an unrecorded round of 200 leases"
	}
	fmt.Fprintf(&b, "TTL %d s (a renewal per lease every %v); %v warm-up once every lease is kept alive, then %v measured; %d round(s), order alternating%s. "+
		"`getcd`: `lease.KeepAlive` per lease, nothing to drain. `official`: clientv3 `Lease.KeepAlive` per lease, each channel drained by a goroutine "+
		"(`for range ch {}`). Each cell dials a connection of its own; streams opened and renewals are counted by a gRPC stats handler on it "+
		"(keep-alive streams begun, keep-alive answers received). CPU and allocations as in the table above, per renewal.\n\n",
		set.ttl, (time.Duration(set.ttl) * time.Second / 3).Round(time.Millisecond), set.warmup.Round(time.Millisecond), set.window.Round(time.Millisecond), rounds, first)
	b.WriteString("| leases | client | renewals/s | CPU/renewal | allocs/renewal | B/renewal | streams opened | goroutines |\n")
	b.WriteString("|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for _, n := range set.leases {
		for _, c := range clients {
			s := res[n][c]
			fmt.Fprintf(&b, "| %d | %s | %.0f | %s | %.1f | %.0f | %d | %d |\n", n, c, float64(s.renewals)/s.wall.Seconds(),
				fmtNanos(s.perRenewal(float64(s.cpu)), s.hasCPU), s.perRenewal(float64(s.mallocs)), s.perRenewal(float64(s.bytes)), s.streams, s.goroutines)
		}
	}
	b.WriteString("\n| leases | CPU/renewal ÷ official | allocs/renewal ÷ official | B/renewal ÷ official |\n")
	b.WriteString("|--:|--:|--:|--:|\n")
	for _, n := range set.leases {
		g, o := res[n][Getcd], res[n][Official]
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", n,
			fmtRatio(g.perRenewal(float64(g.cpu))/o.perRenewal(float64(o.cpu))),
			fmtRatio(g.perRenewal(float64(g.mallocs))/o.perRenewal(float64(o.mallocs))),
			fmtRatio(g.perRenewal(float64(g.bytes))/o.perRenewal(float64(o.bytes))))
	}
	return b.String(), nil
}

// keepAliveCell has client c keep n leases alive on a new connection: each
// lease is granted (raw gRPC) and kept alive at once, so that none waits
// for the others. Once all are kept alive and a warm-up passed, it measures
// a window of renewals; then it stops the keep-alives and revokes the
// leases. Only the window is measured.
func keepAliveCell(ctx context.Context, e *Env, c Client, n int, set keepAliveSettings) (keepAliveStats, error) {
	lc := pb.NewLeaseClient(e.rawConn)
	ids := make([]int64, n)
	grant := func(i int) error {
		g, err := lc.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: set.ttl})
		if err == nil {
			ids[i] = g.ID
		}
		return err
	}
	defer inParallel(n, 64, func(i int) error {
		if ids[i] == 0 {
			return nil
		}
		_, err := lc.LeaseRevoke(context.WithoutCancel(ctx), &pb.LeaseRevokeRequest{ID: ids[i]})
		return err
	})

	cnt := &keepAliveCounter{}
	dial := []grpc.DialOption{grpc.WithStatsHandler(cnt)}
	g0 := runtime.NumGoroutine()
	var (
		start func(i int) error // grant lease i and keep it alive
		stop  func()
		check func() error // every keep-alive still running
	)
	switch c {
	case Getcd:
		gc, err := conn.New(ctx, conn.Config{Endpoints: e.Endpoints, DialOptions: dial})
		if err != nil {
			return keepAliveStats{}, err
		}
		defer gc.Close()
		hs := make([]*lease.Handle, n)
		start = func(i int) (err error) {
			if err = grant(i); err == nil {
				hs[i], err = lease.KeepAlive(ctx, gc, lease.ID(ids[i]))
			}
			return err
		}
		stop = func() {
			for _, h := range hs {
				if h != nil {
					h.Stop()
				}
			}
		}
		check = func() error {
			for _, h := range hs {
				if err := h.Err(); err != nil {
					return err
				}
			}
			return nil
		}
	case Official:
		cli, err := clientv3.New(clientv3.Config{Endpoints: e.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(), DialOptions: dial})
		if err != nil {
			return keepAliveStats{}, err
		}
		defer cli.Close()
		kctx, cancel := context.WithCancel(ctx)
		var (
			wg     sync.WaitGroup
			closed atomic.Int64
		)
		start = func(i int) error {
			if err := grant(i); err != nil {
				return err
			}
			ch, err := cli.KeepAlive(kctx, clientv3.LeaseID(ids[i]))
			if err != nil {
				return err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range ch {
				}
				closed.Add(1)
			}()
			return nil
		}
		stop = func() { cancel(); wg.Wait() }
		check = func() error {
			if k := closed.Load(); k > 0 {
				return fmt.Errorf("%d keep-alive channels closed early", k)
			}
			return nil
		}
	default:
		return keepAliveStats{}, errors.New("no keep-alive for client " + c.String())
	}
	defer stop()
	if err := inParallel(n, 16, start); err != nil {
		return keepAliveStats{}, err
	}

	sleep(ctx, set.warmup)
	goroutines := runtime.NumGoroutine() - g0
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0, ok0 := cpuTime()
	r0 := cnt.renewals.Load()
	t0 := time.Now()
	sleep(ctx, set.window)
	wall := time.Since(t0)
	r1 := cnt.renewals.Load()
	cpu1, ok1 := cpuTime()
	runtime.ReadMemStats(&m1)
	if err := ctx.Err(); err != nil {
		return keepAliveStats{}, err
	}
	if err := check(); err != nil {
		return keepAliveStats{}, fmt.Errorf("a lease was not kept alive: %w", err)
	}
	if r1 == r0 {
		return keepAliveStats{}, errors.New("no renewal in the measured window")
	}
	return keepAliveStats{
		renewals: r1 - r0, wall: wall, cpu: time.Duration(cpu1 - cpu0), hasCPU: ok0 && ok1,
		mallocs: m1.Mallocs - m0.Mallocs, bytes: m1.TotalAlloc - m0.TotalAlloc,
		streams: cnt.streams.Load(), goroutines: goroutines,
	}, nil
}

// keepAliveCounter is a gRPC stats handler that counts the keep-alive
// streams a connection begins and the answers they bring.
type keepAliveCounter struct {
	streams  atomic.Int64
	renewals atomic.Int64
}

type keepAliveTag struct{}

func (k *keepAliveCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if info.FullMethodName == lease.MethodKeepAlive {
		return context.WithValue(ctx, keepAliveTag{}, true)
	}
	return ctx
}

func (k *keepAliveCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if ctx.Value(keepAliveTag{}) == nil {
		return
	}
	switch s := s.(type) {
	case *stats.Begin:
		k.streams.Add(1)
	case *stats.InPayload:
		if s.Client {
			k.renewals.Add(1)
		}
	}
}

func (k *keepAliveCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (k *keepAliveCounter) HandleConn(context.Context, stats.ConnStats) {}

// inParallel runs f(0..n-1) on conc goroutines and returns the first error.
func inParallel(n, conc int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		once  sync.Once
		first error
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// checkKeepAlive checks a quick report: a row with renewals for each client
// at each size, getcd on exactly one stream.
func checkKeepAlive(md string) error {
	_, rest, ok := strings.Cut(md, "### Lease keep-alive")
	if !ok {
		return errors.New("no lease keep-alive section")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(rest, "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !strings.HasPrefix(line, "|") || len(cells) != 8 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[0]+"|"+cells[1]] = cells
	}
	for _, n := range keepAliveConfig(true).leases {
		for _, c := range []Client{Getcd, Official} {
			row, ok := rows[strconv.Itoa(n)+"|"+c.String()]
			if !ok {
				return fmt.Errorf("no row for %d leases, %s", n, c)
			}
			if r, err := strconv.ParseFloat(row[2], 64); err != nil || r <= 0 {
				return fmt.Errorf("%d leases, %s: renewals/s %q", n, c, row[2])
			}
			if c == Getcd && row[6] != "1" {
				return fmt.Errorf("getcd opened %s keep-alive streams for %d leases, want 1", row[6], n)
			}
		}
	}
	return nil
}
