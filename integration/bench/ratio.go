package bench

import (
	"math"
	"time"
)

// Ratio compares getcd with the other two clients on one workload at one
// concurrency: each field is getcd's value divided by the other client's.
// A ratio whose denominator is zero is NaN.
type Ratio struct {
	Workload    string
	Concurrency int

	CPUVsOfficial, CPUVsRaw       float64 // client CPU per op; lower is better
	AllocsVsOfficial, AllocsVsRaw float64 // allocations per op; lower is better
	BytesVsOfficial, BytesVsRaw   float64 // bytes allocated per op; lower is better
	OpsVsOfficial, OpsVsRaw       float64 // throughput; higher is better
	P99VsOfficial, P99VsRaw       float64 // p99 latency; lower is better
}

// Ratios computes the ratios of every (workload, concurrency) for which all
// three clients have a result, in the order of results.
func Ratios(results []Result) []Ratio {
	type key struct {
		w string
		n int
	}
	cells := map[key]*[numClients]*Result{}
	var order []key
	for i := range results {
		r := &results[i]
		k := key{r.Workload, r.Concurrency}
		if cells[k] == nil {
			cells[k] = &[numClients]*Result{}
			order = append(order, k)
		}
		cells[k][r.Client] = r
	}
	var out []Ratio
	for _, k := range order {
		c := cells[k]
		g, o, r := c[Getcd], c[Official], c[Raw]
		if g == nil || o == nil || r == nil {
			continue
		}
		ratio := Ratio{
			Workload: k.w, Concurrency: k.n,
			CPUVsOfficial: div(g.CPUPerOp(), o.CPUPerOp()), CPUVsRaw: div(g.CPUPerOp(), r.CPUPerOp()),
			AllocsVsOfficial: div(g.AllocsPerOp(), o.AllocsPerOp()), AllocsVsRaw: div(g.AllocsPerOp(), r.AllocsPerOp()),
			BytesVsOfficial: div(g.BytesPerOp(), o.BytesPerOp()), BytesVsRaw: div(g.BytesPerOp(), r.BytesPerOp()),
			OpsVsOfficial: div(g.OpsPerSec(), o.OpsPerSec()), OpsVsRaw: div(g.OpsPerSec(), r.OpsPerSec()),
			P99VsOfficial: div(float64(g.P99), float64(o.P99)), P99VsRaw: div(float64(g.P99), float64(r.P99)),
		}
		if !g.HasCPU || !o.HasCPU || !r.HasCPU {
			ratio.CPUVsOfficial, ratio.CPUVsRaw = math.NaN(), math.NaN()
		}
		out = append(out, ratio)
	}
	return out
}

func div(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// CodecRatio compares getcd's codec with getcd on etcd's generated messages
// (GetcdGen) on one workload at one concurrency.
type CodecRatio struct {
	Workload    string
	Concurrency int

	CPUVsGen, AllocsVsGen, BytesVsGen, OpsVsGen float64 // getcd ÷ getcd-gen
	GenCPUVsRaw, GenAllocsVsRaw                 float64 // getcd-gen ÷ raw
	Allocs                                      float64 // getcd's allocations per op
}

// CodecRatios computes the codec ratios of every (workload, concurrency)
// for which getcd, getcd-gen and raw have a result.
func CodecRatios(results []Result) []CodecRatio {
	var out []CodecRatio
	for i := range results {
		g := &results[i]
		if g.Client != Getcd {
			continue
		}
		var gen, raw *Result
		for j := range results {
			r := &results[j]
			if r.Workload == g.Workload && r.Concurrency == g.Concurrency {
				switch r.Client {
				case GetcdGen:
					gen = r
				case Raw:
					raw = r
				}
			}
		}
		if gen == nil || raw == nil {
			continue
		}
		cr := CodecRatio{Workload: g.Workload, Concurrency: g.Concurrency,
			CPUVsGen: div(g.CPUPerOp(), gen.CPUPerOp()), AllocsVsGen: div(g.AllocsPerOp(), gen.AllocsPerOp()),
			BytesVsGen: div(g.BytesPerOp(), gen.BytesPerOp()), OpsVsGen: div(g.OpsPerSec(), gen.OpsPerSec()),
			GenCPUVsRaw: div(gen.CPUPerOp(), raw.CPUPerOp()), GenAllocsVsRaw: div(gen.AllocsPerOp(), raw.AllocsPerOp()),
			Allocs: g.AllocsPerOp()}
		if !g.HasCPU || !gen.HasCPU || !raw.HasCPU {
			cr.CPUVsGen, cr.GenCPUVsRaw = math.NaN(), math.NaN()
		}
		out = append(out, cr)
	}
	return out
}

// CoalesceRatio compares getcd with coalescing (GetcdCoalesce) with raw
// gRPC, the official client and getcd without coalescing on one workload at
// one concurrency, with what the coalescing did. A ratio whose other client
// did not run is NaN.
type CoalesceRatio struct {
	Workload    string
	Concurrency int

	Ops                                 float64 // getcd-coalesce's ops/s
	OpsVsRaw, OpsVsOfficial, OpsVsGetcd float64 // throughput; higher is better
	CPUVsRaw, CPUVsGetcd                float64 // client CPU per op; lower is better
	P50VsGetcd, P99VsGetcd              float64 // latency against coalescing off; lower is better

	PerBatch float64       // requests per batch of two or more
	Batched  float64       // share of the requests that went in such a batch
	Wait     time.Duration // mean time a request waited to be batched
}

// CoalesceRatios computes the coalescing ratios of every (workload,
// concurrency) that getcd-coalesce ran, in the order of results.
func CoalesceRatios(results []Result) []CoalesceRatio {
	var out []CoalesceRatio
	for i := range results {
		co := &results[i]
		if co.Client != GetcdCoalesce {
			continue
		}
		var other [numClients]*Result
		for j := range results {
			if r := &results[j]; r.Workload == co.Workload && r.Concurrency == co.Concurrency {
				other[r.Client] = r
			}
		}
		vs := func(f func(*Result) float64, c Client) float64 {
			if other[c] == nil {
				return math.NaN()
			}
			return div(f(co), f(other[c]))
		}
		ops := func(r *Result) float64 { return r.OpsPerSec() }
		cpu := func(r *Result) float64 {
			if !r.HasCPU {
				return math.NaN()
			}
			return r.CPUPerOp()
		}
		st := co.Coalesce
		cr := CoalesceRatio{Workload: co.Workload, Concurrency: co.Concurrency, Ops: co.OpsPerSec(),
			OpsVsRaw: vs(ops, Raw), OpsVsOfficial: vs(ops, Official), OpsVsGetcd: vs(ops, Getcd),
			CPUVsRaw: vs(cpu, Raw), CPUVsGetcd: vs(cpu, Getcd),
			P50VsGetcd: vs(func(r *Result) float64 { return float64(r.P50) }, Getcd),
			P99VsGetcd: vs(func(r *Result) float64 { return float64(r.P99) }, Getcd),
			PerBatch:   st.PerBatch(),
			Batched:    div(float64(st.Batched), float64(st.Batched+st.Alone)),
		}
		if n := st.Batched + st.Alone; n > 0 {
			cr.Wait = st.Waited / time.Duration(n)
		}
		out = append(out, cr)
	}
	return out
}
