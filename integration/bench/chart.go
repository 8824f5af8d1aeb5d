package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

// chartSeries are the bars of each workload group, in order.
var chartSeries = []struct {
	name  string
	color string
	get   func(Ratio) float64
}{
	{"CPU/op ÷ official", "#1f5fa8", func(r Ratio) float64 { return r.CPUVsOfficial }},
	{"CPU/op ÷ raw", "#8fb8e8", func(r Ratio) float64 { return r.CPUVsRaw }},
	{"allocs/op ÷ official", "#c2501d", func(r Ratio) float64 { return r.AllocsVsOfficial }},
	{"allocs/op ÷ raw", "#f2b48c", func(r Ratio) float64 { return r.AllocsVsRaw }},
}

// coalesceSeries are the bars of each workload group in the coalescing
// chart, in order.
var coalesceSeries = []struct {
	name  string
	color string
	get   func(CoalesceRatio) float64
}{
	{"ops/s ÷ raw", "#2e7d32", func(r CoalesceRatio) float64 { return r.OpsVsRaw }},
	{"ops/s ÷ official", "#1f5fa8", func(r CoalesceRatio) float64 { return r.OpsVsOfficial }},
	{"ops/s ÷ getcd (coalescing off)", "#c2501d", func(r CoalesceRatio) float64 { return r.OpsVsGetcd }},
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 1000
	chartLeft   = 56  // room for the y axis labels
	chartRight  = 16  // right margin
	chartTop    = 84  // title and legend
	panelHeight = 180 // plot height of one concurrency
	panelGap    = 56  // workload labels and the next panel's title
	chartMaxY   = 4.0 // taller bars are cut off and labelled

	// coalesceMaxY is chartMaxY for the coalescing chart, whose ratios
	// are meant to go well above 1.
	coalesceMaxY = 12.0
)

// barChart is a chart of grouped bars: one panel per concurrency, one
// group per workload, one bar per series.
type barChart struct {
	title, subtitle string
	names, colors   []string // per series
	maxY            float64
	lines           []refLine // reference lines across every panel
	concs           []int
	workloads       []string
	// value is the bar of series i for (workload, concurrency); ok false
	// when there is none.
	value func(workload string, conc, i int) (v float64, ok bool)
}

// refLine is a horizontal line at y = v, dashed, labelled at the right
// end when label is set.
type refLine struct {
	v     float64
	label string
	dash  string
}

// WriteSVG draws the getcd ratios as grouped bars: one panel per
// concurrency, one group per workload, four bars per group (CPU per op and
// allocations per op, each against the official client and raw gRPC), and
// a dashed line at 1.0. It uses nothing but the standard library.
func WriteSVG(w io.Writer, title string, results []Result) error {
	ratios := Ratios(results)
	byKey := map[[2]any]Ratio{}
	ch := barChart{title: title,
		subtitle: "getcd ÷ other client, per operation; below the dashed 1.0 line getcd costs less",
		maxY:     chartMaxY, lines: []refLine{{v: 1, dash: "6 4"}}}
	for _, s := range chartSeries {
		ch.names, ch.colors = append(ch.names, s.name), append(ch.colors, s.color)
	}
	for _, r := range ratios {
		byKey[[2]any{r.Workload, r.Concurrency}] = r
		ch.add(r.Workload, r.Concurrency)
	}
	ch.value = func(wl string, n, i int) (float64, bool) {
		r, ok := byKey[[2]any{wl, n}]
		return chartSeries[i].get(r), ok
	}
	return ch.write(w)
}

// WriteCoalesceSVG draws the throughput of getcd with coalescing against
// raw gRPC, the official client and getcd without it, as WriteSVG draws
// the getcd ratios, with the target of 3× raw gRPC as a dotted
// line. It draws nothing but the frame when getcd-coalesce did not run.
func WriteCoalesceSVG(w io.Writer, title string, results []Result) error {
	ratios := CoalesceRatios(results)
	byKey := map[[2]any]CoalesceRatio{}
	ch := barChart{title: title,
		subtitle: "getcd with coalescing ÷ other client, operations per second; above the dashed 1.0 line coalescing is faster",
		maxY:     coalesceMaxY, lines: []refLine{{v: 1, dash: "6 4"}, {v: 3, dash: "2 3", label: "3× raw"}}}
	for _, s := range coalesceSeries {
		ch.names, ch.colors = append(ch.names, s.name), append(ch.colors, s.color)
	}
	for _, r := range ratios {
		byKey[[2]any{r.Workload, r.Concurrency}] = r
		ch.add(r.Workload, r.Concurrency)
	}
	ch.value = func(wl string, n, i int) (float64, bool) {
		r, ok := byKey[[2]any{wl, n}]
		return coalesceSeries[i].get(r), ok
	}
	return ch.write(w)
}

// add notes a (workload, concurrency) that has bars.
func (ch *barChart) add(wl string, n int) {
	if !slices.Contains(ch.concs, n) {
		ch.concs = append(ch.concs, n)
	}
	if !slices.Contains(ch.workloads, wl) {
		ch.workloads = append(ch.workloads, wl)
	}
}

func (ch *barChart) write(w io.Writer) error {
	concs := slices.Sorted(slices.Values(ch.concs))
	workloads := ch.workloads
	nser := len(ch.names)
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

	top := 1.5
	for _, l := range ch.lines {
		top = max(top, l.v)
	}
	for _, wl := range workloads {
		for _, n := range concs {
			for i := range nser {
				if v, ok := ch.value(wl, n, i); ok && finite(v) {
					top = max(top, v)
				}
			}
		}
	}
	top = min(math.Ceil(top*1.08*2)/2, ch.maxY) // next 0.5 with room for labels
	step := 0.5
	switch {
	case top > 6:
		step = 2
	case top > 2.5:
		step = 1
	}

	height := chartTop + len(concs)*(panelHeight+panelGap) + 8
	plotW := float64(chartWidth - chartLeft - chartRight)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", chartLeft, html.EscapeString(ch.title))
	fmt.Fprintf(&b, `<text x="%d" y="42" font-size="11" fill="#444">%s</text>`+"\n", chartLeft, html.EscapeString(ch.subtitle))
	lx := float64(chartLeft)
	for i, name := range ch.names {
		fmt.Fprintf(&b, `<rect x="%.1f" y="54" width="12" height="12" fill="%s"/>`, lx, ch.colors[i])
		fmt.Fprintf(&b, `<text x="%.1f" y="64" font-size="12">%s</text>`+"\n", lx+16, html.EscapeString(name))
		lx += 16 + float64(len([]rune(name)))*6.8 + 24
	}

	for p, n := range concs {
		y0 := float64(chartTop + p*(panelHeight+panelGap) + 18) // top of the plot
		yOf := func(v float64) float64 { return y0 + panelHeight - v/top*panelHeight }
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="13" font-weight="bold">concurrency %d</text>`+"\n", chartLeft, y0-6, n)
		for v := 0.0; v <= top+1e-9; v += step {
			y := yOf(v)
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`, chartLeft, y, chartWidth-chartRight, y)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end">%.1f</text>`+"\n", chartLeft-6, y+3, v)
		}
		gw := plotW / float64(max(len(workloads), 1))
		bw := gw * 0.84 / float64(max(nser, 1))
		for g, wl := range workloads {
			gx := float64(chartLeft) + float64(g)*gw
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`+"\n",
				gx+gw/2, y0+panelHeight+15, html.EscapeString(wl))
			for i, name := range ch.names {
				v, ok := ch.value(wl, n, i)
				if !ok || !finite(v) {
					continue
				}
				x := gx + gw*0.08 + float64(i)*bw
				h := min(v, top) / top * panelHeight
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s c=%d: %.2f</title></rect>`,
					x, y0+panelHeight-h, bw-1.5, h, ch.colors[i], html.EscapeString(wl), html.EscapeString(name), n, v)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8.5" text-anchor="middle" stroke="white" stroke-width="2.5" paint-order="stroke">%.2f</text>`+"\n",
					x+(bw-1.5)/2, y0+panelHeight-h-3, v)
			}
		}
		for _, l := range ch.lines {
			if l.v > top {
				continue
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#222" stroke-width="1.2" stroke-dasharray="%s"/>`+"\n",
				chartLeft, yOf(l.v), chartWidth-chartRight, yOf(l.v), l.dash)
			if l.label != "" {
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end" fill="#222" stroke="white" stroke-width="2.5" paint-order="stroke">%s</text>`+"\n",
					chartWidth-chartRight, yOf(l.v)-3, html.EscapeString(l.label))
			}
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888"/>`+"\n",
			chartLeft, y0+panelHeight, chartWidth-chartRight, y0+panelHeight)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
