package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Header describes a run for the report.
type Header struct {
	Date          time.Time
	ServerVersion string
	GoVersion     string
	Platform      string // "linux/amd64, 2 CPUs (AMD EPYC), GOMAXPROCS 2"
	Settings      string // "2 rounds × 1s per cell, warm-up 200ms, concurrency 1,16,256"
	Wall          time.Duration
	Command       string
}

// WriteMarkdown writes the report: the run's header, the getcd ratios, every
// cell, and the workloads' descriptions.
func WriteMarkdown(w io.Writer, h Header, results []Result, workloads []Workload) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## getcd vs official client vs raw gRPC\n\n")
	fmt.Fprintf(&b, "- command: `%s`, wall time %s\n", h.Command, h.Wall.Round(time.Second))
	fmt.Fprintf(&b, "- etcd %s as a separate process; %s; %s\n", h.ServerVersion, h.GoVersion, h.Platform)
	fmt.Fprintf(&b, "- %s; %s\n", h.Settings, h.Date.UTC().Format("2006-01-02 15:04 MST"))
	b.WriteString("- CPU/op is the benchmark process's own user+sys time (getrusage RUSAGE_SELF) per operation; " +
		"the server's CPU is not in it. allocs/op and B/op are runtime.MemStats deltas around the measured phase.\n\n")

	b.WriteString("### Ratios getcd / official and getcd / raw\n\n")
	b.WriteString("Below 1.0 getcd uses less than the other client (for ops/s: above 1.0 getcd is faster).\n\n")
	b.WriteString("| workload | conc | CPU/op ÷ official | CPU/op ÷ raw | allocs/op ÷ official | allocs/op ÷ raw | B/op ÷ official | B/op ÷ raw | ops/s ÷ official | ops/s ÷ raw | p99 ÷ official | p99 ÷ raw |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range Ratios(results) {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Workload, r.Concurrency,
			fmtRatio(r.CPUVsOfficial), fmtRatio(r.CPUVsRaw), fmtRatio(r.AllocsVsOfficial), fmtRatio(r.AllocsVsRaw),
			fmtRatio(r.BytesVsOfficial), fmtRatio(r.BytesVsRaw), fmtRatio(r.OpsVsOfficial), fmtRatio(r.OpsVsRaw),
			fmtRatio(r.P99VsOfficial), fmtRatio(r.P99VsRaw))
	}

	if rs := CodecRatios(results); len(rs) > 0 {
		b.WriteString("\n### getcd's codec vs generated messages\n\n")
		b.WriteString("`getcd` encodes its key-value requests and decodes the answers with its own wire codec; `getcd-gen` is the same " +
			"client with conn.Config.GeneratedMessages, through etcd's generated messages as the other clients are. " +
			"codec ÷ gen below 1.0: the codec costs less.\n\n")
		b.WriteString("| workload | conc | CPU/op codec ÷ gen | allocs/op codec ÷ gen | B/op codec ÷ gen | ops/s codec ÷ gen | CPU/op gen ÷ raw | allocs/op gen ÷ raw | allocs/op codec |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, r := range rs {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %.1f |\n", r.Workload, r.Concurrency,
				fmtRatio(r.CPUVsGen), fmtRatio(r.AllocsVsGen), fmtRatio(r.BytesVsGen), fmtRatio(r.OpsVsGen),
				fmtRatio(r.GenCPUVsRaw), fmtRatio(r.GenAllocsVsRaw), r.Allocs)
		}
	}

	if rs := CoalesceRatios(results); len(rs) > 0 {
		b.WriteString("\n### Coalescing\n\n")
		b.WriteString("`getcd-coalesce` is `getcd` on a connection of its own with `conn.Config{Coalescing: conn.Coalescing{Enabled: true}}` " +
			"(the other fields at their defaults unless the settings above say otherwise): Get, Put and Delete calls in flight together " +
			"are sent as one transaction. ops/s ÷ other client above 1.0: coalescing is faster; p50/p99 ÷ getcd is the latency " +
			"against the same client with coalescing off (at concurrency 1 it is the cost of coalescing to a lone caller). " +
			"requests/batch is the mean of the transactions that carried two requests or more, batched the share of requests " +
			"that went in one, wait/op the mean time a request waited for a batch.\n\n")
		b.WriteString("| workload | conc | ops/s | ops/s ÷ raw | ops/s ÷ official | ops/s ÷ getcd | CPU/op ÷ raw | CPU/op ÷ getcd | p50 ÷ getcd | p99 ÷ getcd | requests/batch | batched | wait/op |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, r := range rs {
			fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s |\n", r.Workload, r.Concurrency, r.Ops,
				fmtRatio(r.OpsVsRaw), fmtRatio(r.OpsVsOfficial), fmtRatio(r.OpsVsGetcd), fmtRatio(r.CPUVsRaw), fmtRatio(r.CPUVsGetcd),
				fmtRatio(r.P50VsGetcd), fmtRatio(r.P99VsGetcd), r.PerBatch, fmtPercent(r.Batched), fmtDur(r.Wait))
		}
	}

	b.WriteString("\n### Every cell\n\n")
	b.WriteString("| workload | conc | client | ops/s | CPU/op | allocs/op | B/op | p50 | p99 |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %s | %.1f | %.0f | %s | %s |\n", r.Workload, r.Concurrency, r.Client,
			r.OpsPerSec(), fmtNanos(r.CPUPerOp(), r.HasCPU), r.AllocsPerOp(), r.BytesPerOp(), fmtDur(r.P50), fmtDur(r.P99))
	}

	var tries []Result
	for _, r := range results {
		if r.Attempts > 0 {
			tries = append(tries, r)
		}
	}
	if len(tries) > 0 {
		b.WriteString("\n### Attempts per commit\n\n")
		b.WriteString("Workloads that retry (STM) count the attempts each committed operation took; 1.00 means no conflict.\n\n")
		b.WriteString("| workload | conc | client | attempts/op |\n")
		b.WriteString("|---|--:|---|--:|\n")
		for _, r := range tries {
			fmt.Fprintf(&b, "| %s | %d | %s | %.2f |\n", r.Workload, r.Concurrency, r.Client, r.AttemptsPerOp())
		}
	}

	b.WriteString("\n### Workloads\n\n")
	for _, wl := range workloads {
		fmt.Fprintf(&b, "- `%s`: %s\n", wl.Name, wl.Desc)
	}
	b.WriteString("\nClients: `getcd` is conn.Conn with a kv.Request built once outside the loop; " +
		"`getcd-gen` is the same on a connection with conn.Config.GeneratedMessages (key-value workloads only); " +
		"`getcd-coalesce` is the same on a connection with conn.Config.Coalescing on (get, put and delete workloads only); " +
		"`official` is go.etcd.io/etcd/client/v3 called as its documentation shows; " +
		"`raw` is etcdserverpb.KVClient on a plain grpc.ClientConn with messages built once (no client library at all).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtRatio(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", f)
}

func fmtPercent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// fmtNanos formats a CPU time per op given in nanoseconds.
func fmtNanos(ns float64, ok bool) string {
	if !ok || math.IsNaN(ns) {
		return "n/a"
	}
	return fmtDur(time.Duration(math.Round(ns)))
}

// fmtDur formats a short duration with three significant digits in µs or ms.
func fmtDur(d time.Duration) string {
	switch {
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.2fµs", float64(d)/1e3)
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fms", float64(d)/1e6)
}
