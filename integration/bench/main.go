package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

// Defaults of the command: 9 workloads × 3 concurrencies × 3 clients = 81
// cells, each run in 3 rounds of (Warmup + Duration) = 2.55 s, so that every
// client runs first, second and third once per cell: about 3.5 minutes of
// cells, plus etcd's start, the compactions between groups, and the time
// the contended STM cells take to let every goroutine finish one commit.
const (
	DefaultDuration = 700 * time.Millisecond
	DefaultWarmup   = 150 * time.Millisecond
	DefaultRounds   = 3
	DefaultConc     = "1,16,256"

	// Quick mode: every workload, client and concurrency, briefly; for the
	// package's test and for checking that the command works.
	QuickDuration = 100 * time.Millisecond
	QuickWarmup   = 20 * time.Millisecond
	QuickRounds   = 1
)

// Main is the benchmark command: it parses args (without the program name),
// starts etcd as a separate process (or uses ETCD_ENDPOINTS), runs the
// workloads and writes the markdown report to stdout (and to -out) and the
// ratio chart to -svg. Progress goes to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		quick      = fs.Bool("quick", false, "quick mode: "+QuickDuration.String()+" per cell, "+QuickWarmup.String()+" warm-up, 1 round (flags given explicitly still win)")
		dur        = fs.Duration("dur", DefaultDuration, "measured time of one cell per round")
		warmup     = fs.Duration("warmup", DefaultWarmup, "unmeasured warm-up before each measured run")
		rounds     = fs.Int("rounds", DefaultRounds, "rounds per cell; the three clients' order rotates per round")
		conc       = fs.String("conc", DefaultConc, "comma-separated concurrency levels (goroutines over one connection)")
		run        = fs.String("run", "", "regexp: run only the workloads whose name matches")
		out        = fs.String("out", "", "also write the markdown report to this file")
		svg        = fs.String("svg", "", "write the ratio chart to this SVG file (default: -out with .svg)")
		etcdBin    = fs.String("etcd", "", "etcd binary to run (default: build ../cmd/etcd into a temporary directory)")
		cpuprofile = fs.String("cpuprofile", "", "write a CPU profile of the whole run; goroutines carry pprof labels client, workload, concurrency")
		memprofile = fs.String("memprofile", "", "write an allocation profile (allocs) at the end")
		list       = fs.Bool("list", false, "list the workloads and exit")
		noFsync    = fs.Bool("etcd-no-fsync", false, "start the etcd process with --unsafe-no-fsync: writes cost no disk flush (not durable; separates the disk from the rest of a write's cost)")
		reqTimeout = fs.Duration("getcd-request-timeout", 0, "getcd's conn.Config.RequestTimeout (0, the default: none, like the official client; above 0: a timer per call)")
		coSVG      = fs.String("coalesce-svg", "", "write the coalescing chart (getcd-coalesce's throughput ratios) to this SVG file (default: -out with -coalesce.svg)")
		coInflight = fs.Int("coalesce-inflight", 0, "getcd-coalesce's conn.Coalescing.MaxInFlight (0: the default, conn.DefaultCoalesceMaxInFlight)")
		coMaxOps   = fs.Int("coalesce-maxops", 0, "getcd-coalesce's conn.Coalescing.MaxOps (0: the default, conn.DefaultCoalesceMaxOps)")
		coWindow   = fs.Duration("coalesce-window", 0, "getcd-coalesce's conn.Coalescing.Window (0, the default: no waiting)")
		clientList = fs.String("clients", "", "comma-separated client kinds the workloads run (default: all; "+clientNames()+"); sections run theirs")
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/bench [flags]\n\n"+
			"Runs every workload through getcd, the official client and raw gRPC against one etcd process\n"+
			"and reports throughput, client CPU/op, allocs/op, B/op, p50/p99 and the getcd ratios.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		if !set["dur"] {
			*dur = QuickDuration
		}
		if !set["warmup"] {
			*warmup = QuickWarmup
		}
		if !set["rounds"] {
			*rounds = QuickRounds
		}
	}
	levels, err := parseConc(*conc)
	if err != nil {
		return err
	}
	clients, err := parseClients(*clientList)
	if err != nil {
		return err
	}
	if *coInflight < 0 || *coMaxOps < 0 || *coWindow < 0 {
		return errors.New("bench: -coalesce-inflight, -coalesce-maxops and -coalesce-window must not be negative")
	}
	coCfg := conn.Coalescing{MaxInFlight: *coInflight, MaxOps: *coMaxOps, Window: *coWindow}
	workloads, secs := Workloads(), Sections()
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			return fmt.Errorf("bench: -run: %w", err)
		}
		workloads = slices.DeleteFunc(workloads, func(w Workload) bool { return !re.MatchString(w.Name) })
		secs = slices.DeleteFunc(secs, func(s Section) bool { return !re.MatchString(s.Name) })
		if len(workloads) == 0 && len(secs) == 0 {
			return fmt.Errorf("bench: -run %q matches no workload", *run)
		}
	}
	if *list {
		for _, w := range workloads {
			fmt.Fprintf(stdout, "%-12s %s\n", w.Name, w.Desc)
		}
		for _, s := range secs {
			fmt.Fprintf(stdout, "%-12s %s\n", s.Name, s.Desc)
		}
		return nil
	}
	if *svg == "" && *out != "" {
		*svg = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".svg"
	}
	if *coSVG == "" && *out != "" {
		*coSVG = strings.TrimSuffix(*out, filepath.Ext(*out)) + "-coalesce.svg"
	}

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	var srvOpts []etcdtest.Option
	if *noFsync {
		srvOpts = append(srvOpts, etcdtest.WithUnsafeNoFsync())
	}
	srv, stop, err := startServer(*etcdBin, stderr, srvOpts...)
	if err != nil {
		return err
	}
	defer stop()
	env, err := Dial(ctx, srv.Endpoints(), conn.Config{RequestTimeout: *reqTimeout, Coalescing: coCfg})
	if err != nil {
		return err
	}
	defer env.Close()

	nclients := len(Clients)
	if clients != nil {
		nclients = len(clients)
	}
	fmt.Fprintf(stderr, "bench: etcd %s on %s; %d workloads × %d concurrencies × up to %d clients, %d round(s) × (%v + %v warm-up)\n",
		env.ServerVersion, strings.Join(srv.Endpoints(), ","), len(workloads), len(levels), nclients, *rounds, *dur, *warmup)
	results, err := Run(ctx, env, Config{
		Duration: *dur, Warmup: *warmup, Rounds: *rounds, Concurrency: levels, FixedConcurrency: set["conc"],
		Workloads: workloads, Clients: clients, Progress: stderr,
	})
	var extra []string
	for _, sec := range secs {
		if err != nil {
			break
		}
		var md string
		md, err = sec.Run(ctx, env, SectionConfig{Quick: *quick, Rounds: *rounds, Progress: stderr})
		if err != nil {
			err = fmt.Errorf("bench: %s: %w", sec.Name, err)
		}
		extra = append(extra, md)
	}
	if cerr := env.Cleanup(context.WithoutCancel(ctx)); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	settings := fmt.Sprintf("%d round(s) × %v per cell after %v warm-up, concurrency %s over one connection per client",
		*rounds, *dur, *warmup, joinInts(levels))
	if *noFsync {
		settings += "; etcd with --unsafe-no-fsync"
	}
	if !set["conc"] {
		// Workloads with levels of their own, grouped by levels.
		var own []string
		names := map[string][]string{}
		for _, w := range workloads {
			if w.Concurrency != nil {
				l := joinInts(w.Concurrency)
				if names[l] == nil {
					own = append(own, l)
				}
				names[l] = append(names[l], w.Name)
			}
		}
		for _, l := range own {
			settings += fmt.Sprintf("; %s at concurrency %s", strings.Join(names[l], ", "), l)
		}
	}
	if *reqTimeout != 0 {
		settings += fmt.Sprintf("; getcd RequestTimeout %v", *reqTimeout)
	}
	if coCfg != (conn.Coalescing{}) {
		settings += fmt.Sprintf("; getcd-coalesce with MaxInFlight %d, MaxOps %d, Window %v (0: the default)", coCfg.MaxInFlight, coCfg.MaxOps, coCfg.Window)
	}
	if clients != nil {
		settings += "; clients " + *clientList
	}
	h := Header{
		Date:          start,
		ServerVersion: env.ServerVersion,
		GoVersion:     runtime.Version(),
		Platform:      platform(),
		Settings:      settings,
		Wall:          time.Since(start),
		Command:       "go run ./cmd/bench " + strings.Join(args, " "),
	}
	h.Command = strings.TrimSpace(h.Command)
	var md bytes.Buffer
	if err := WriteMarkdown(&md, h, results, workloads); err != nil {
		return err
	}
	for _, part := range extra {
		md.WriteString("\n" + part)
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, md.Bytes(), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if *svg != "" {
		var b bytes.Buffer
		title := fmt.Sprintf("getcd ratios — etcd %s, %s", env.ServerVersion, runtime.Version())
		if err := WriteSVG(&b, title, results); err != nil {
			return err
		}
		if err := os.WriteFile(*svg, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if *coSVG != "" && len(CoalesceRatios(results)) > 0 {
		var b bytes.Buffer
		title := fmt.Sprintf("getcd with coalescing — etcd %s, %s", env.ServerVersion, runtime.Version())
		if err := WriteCoalesceSVG(&b, title, results); err != nil {
			return err
		}
		if err := os.WriteFile(*coSVG, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	return nil
}

// startServer runs etcd as a separate process (building it first unless
// bin is given), or returns the cluster named by ETCD_ENDPOINTS.
func startServer(bin string, log io.Writer, opts ...etcdtest.Option) (*etcdtest.Server, func(), error) {
	cleanup := func() {}
	if _, external := etcdtest.External(); !external && bin == "" {
		dir, err := os.MkdirTemp("", "getcd-bench-*")
		if err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		cleanup = func() { os.RemoveAll(dir) }
		t := time.Now()
		fmt.Fprintln(log, "bench: building etcd (cached after the first build)...")
		if bin, err = etcdtest.BuildEtcd(dir); err != nil {
			cleanup()
			return nil, nil, err
		}
		fmt.Fprintf(log, "bench: built etcd in %v\n", time.Since(t).Round(100*time.Millisecond))
	}
	srv, stop, err := etcdtest.StartProcessShared(bin, opts...)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return srv, func() { stop(); cleanup() }, nil
}

func parseConc(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bench: -conc: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("bench: -conc: no level")
	}
	return out, nil
}

// parseClients parses -clients; "" is every kind (nil).
func parseClients(s string) ([]Client, error) {
	if s == "" {
		return nil, nil
	}
	var out []Client
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		i := slices.IndexFunc(Clients[:], func(c Client) bool { return c.String() == f })
		if i < 0 {
			return nil, fmt.Errorf("bench: -clients: %q is none of %s", f, clientNames())
		}
		out = append(out, Clients[i])
	}
	return out, nil
}

func clientNames() string {
	var s []string
	for _, c := range Clients {
		s = append(s, c.String())
	}
	return strings.Join(s, ", ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// platform describes the machine: OS/arch, CPUs (with the model where
// /proc/cpuinfo names it) and GOMAXPROCS.
func platform() string {
	s := fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				s += " (" + strings.TrimSpace(v) + ")"
				break
			}
		}
	}
	return s + ", GOMAXPROCS " + strconv.Itoa(runtime.GOMAXPROCS(0))
}
