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

// Chart geometry, in SVG user units.
const (
	chartWidth  = 1000
	chartLeft   = 56  // room for the y axis labels
	chartRight  = 16  // right margin
	chartTop    = 84  // title and legend
	panelHeight = 180 // plot height of one concurrency
	panelGap    = 56  // workload labels and the next panel's title
	chartMaxY   = 4.0 // taller bars are cut off and labelled
)

// WriteSVG draws the getcd ratios as grouped bars: one panel per
// concurrency, one group per workload, four bars per group (CPU per op and
// allocations per op, each against the official client and raw gRPC), and
// a dashed line at 1.0. It uses nothing but the standard library.
func WriteSVG(w io.Writer, title string, results []Result) error {
	ratios := Ratios(results)
	var concs []int
	var workloads []string
	for _, r := range ratios {
		if !slices.Contains(concs, r.Concurrency) {
			concs = append(concs, r.Concurrency)
		}
		if !slices.Contains(workloads, r.Workload) {
			workloads = append(workloads, r.Workload)
		}
	}
	slices.Sort(concs)

	top := 1.5
	for _, r := range ratios {
		for _, s := range chartSeries {
			if v := s.get(r); !math.IsNaN(v) && !math.IsInf(v, 0) {
				top = max(top, v)
			}
		}
	}
	top = min(math.Ceil(top*1.08*2)/2, chartMaxY) // next 0.5 with room for labels
	step := 0.5
	if top > 2.5 {
		step = 1
	}

	height := chartTop + len(concs)*(panelHeight+panelGap) + 8
	plotW := float64(chartWidth - chartLeft - chartRight)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", chartLeft, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="42" font-size="11" fill="#444">getcd ÷ other client, per operation; below the dashed 1.0 line getcd costs less</text>`+"\n", chartLeft)
	lx := float64(chartLeft)
	for _, s := range chartSeries {
		fmt.Fprintf(&b, `<rect x="%.1f" y="54" width="12" height="12" fill="%s"/>`, lx, s.color)
		fmt.Fprintf(&b, `<text x="%.1f" y="64" font-size="12">%s</text>`+"\n", lx+16, html.EscapeString(s.name))
		lx += 16 + float64(len([]rune(s.name)))*6.8 + 24
	}

	byKey := map[[2]any]Ratio{}
	for _, r := range ratios {
		byKey[[2]any{r.Workload, r.Concurrency}] = r
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
		bw := gw * 0.84 / float64(len(chartSeries))
		for g, wl := range workloads {
			r, ok := byKey[[2]any{wl, n}]
			gx := float64(chartLeft) + float64(g)*gw
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`+"\n",
				gx+gw/2, y0+panelHeight+15, html.EscapeString(wl))
			if !ok {
				continue
			}
			for i, s := range chartSeries {
				v := s.get(r)
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				x := gx + gw*0.08 + float64(i)*bw
				h := min(v, top) / top * panelHeight
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s c=%d: %.2f</title></rect>`,
					x, y0+panelHeight-h, bw-1.5, h, s.color, html.EscapeString(wl), html.EscapeString(s.name), n, v)
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8.5" text-anchor="middle" stroke="white" stroke-width="2.5" paint-order="stroke">%.2f</text>`+"\n",
					x+(bw-1.5)/2, y0+panelHeight-h-3, v)
			}
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#222" stroke-width="1.2" stroke-dasharray="6 4"/>`+"\n",
			chartLeft, yOf(1), chartWidth-chartRight, yOf(1))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#888"/>`+"\n",
			chartLeft, y0+panelHeight, chartWidth-chartRight, y0+panelHeight)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
