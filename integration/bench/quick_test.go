package bench

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQuick runs the command end to end in its quick mode against an etcd
// process and checks that the report has a row with a nonzero throughput for
// every workload, concurrency and client, a ratio row for every workload and
// concurrency, a coalescing row for every workload getcd-coalesce runs, and
// well-formed charts. It checks no timing: the numbers of a test run on a
// shared machine mean nothing.
func TestQuick(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bench.md")
	args := []string{"-quick", "-out", out}
	if etcdBin != "" {
		args = append(args, "-etcd", etcdBin)
	}
	if raceEnabled {
		args = append(args, "-dur", "40ms", "-warmup", "10ms")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := Main(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("Main(%q): %v\nstderr:\n%s", args, err, stderr.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, stdout.Bytes()) {
		t.Error("-out file differs from stdout")
	}

	cells := tableRows(t, string(md), "### Every cell", 9)
	ratios := tableRows(t, string(md), "### Ratios", 12)
	tries := tableRows(t, string(md), "### Attempts per commit", 4)
	codecRows := tableRows(t, string(md), "### getcd's codec", 9)
	coRows := tableRows(t, string(md), "### Coalescing", 13)
	coalesced := false
	rows := 0
	for _, w := range Workloads() {
		retries := strings.HasPrefix(w.Name, "stm-")
		for _, n := range levelsOf(w) {
			rows += len(w.clients())
			key := w.Name + "|" + strconv.Itoa(n)
			for _, c := range w.clients() {
				row, ok := cells[key+"|"+c.String()]
				if !ok {
					t.Errorf("no row for %s c=%d %s", w.Name, n, c)
					continue
				}
				if ops, err := strconv.ParseFloat(row[3], 64); err != nil || ops <= 0 {
					t.Errorf("%s c=%d %s: ops/s %q, want a number above 0", w.Name, n, c, row[3])
				}
				// Workloads that retry report their attempts: at least one
				// per commit; the others have no row.
				a, ok := tries[key+"|"+c.String()]
				switch {
				case retries && !ok:
					t.Errorf("no attempts row for %s c=%d %s", w.Name, n, c)
				case retries:
					if v, err := strconv.ParseFloat(a[3], 64); err != nil || v < 1 {
						t.Errorf("%s c=%d %s: attempts/op %q, want a number of at least 1", w.Name, n, c, a[3])
					}
				case ok:
					t.Errorf("attempts row for %s, which does not retry", w.Name)
				}
			}
			if _, ok := ratios[key]; !ok {
				t.Errorf("no ratio row for %s c=%d", w.Name, n)
			}
			if _, ok := codecRows[key]; ok != w.KV {
				t.Errorf("codec ratio row for %s c=%d: %v, want %v", w.Name, n, ok, w.KV)
			}
			row, ok := coRows[key]
			if ok != w.Coalesce {
				t.Errorf("coalescing row for %s c=%d: %v, want %v", w.Name, n, ok, w.Coalesce)
			}
			if ok && checkCoalesceRow(t, row, n) {
				coalesced = true
			}
		}
	}
	if want := rows; len(cells) != want {
		t.Errorf("%d cell rows, want %d", len(cells), want)
	}
	// 256 goroutines over one connection, of which at most MaxInFlight (2)
	// requests of a kind go alone at a time: the others queue and leave in
	// batches.
	if len(coRows) > 0 && !coalesced {
		t.Error("getcd-coalesce sent no batch at concurrency 256 in any workload")
	}

	for _, sec := range Sections() {
		if sec.Check != nil {
			if err := sec.Check(string(md)); err != nil {
				t.Errorf("section %s: %v", sec.Name, err)
			}
		}
	}

	svg, err := os.ReadFile(filepath.Join(dir, "bench.svg"))
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	svg, err = os.ReadFile(filepath.Join(dir, "bench-coalesce.svg"))
	if err != nil {
		t.Fatal(err)
	}
	checkCoalesceSVG(t, svg)
}

// checkCoalesceRow checks one row of the coalescing table at concurrency n
// and says whether it is a concurrency-256 cell that sent batches.
// Throughput and its ratios are positive numbers (each client ran); a
// batch carries two requests or more; a lone goroutine never meets another
// request to share a batch with.
func checkCoalesceRow(t *testing.T, row []string, n int) bool {
	t.Helper()
	for _, i := range []int{2, 3, 4, 5, 8, 9} { // ops/s, its ratios, p50 and p99 ratios
		if v, err := strconv.ParseFloat(row[i], 64); err != nil || v <= 0 {
			t.Errorf("coalescing row %v: column %d is %q, want a number above 0", row, i+1, row[i])
		}
	}
	per, err := strconv.ParseFloat(row[10], 64)
	if err != nil || per != 0 && per < 2 {
		t.Errorf("coalescing row %v: requests/batch %q, want 0 or at least 2", row, row[10])
	}
	share, err := strconv.ParseFloat(strings.TrimSuffix(row[11], "%"), 64)
	if err != nil || share < 0 || share > 100 || (share == 0) != (per == 0) {
		t.Errorf("coalescing row %v: batched %q, want a percentage, 0 exactly when no batch was sent", row, row[11])
	}
	if n == 1 && per != 0 {
		t.Errorf("coalescing row %v: batches at concurrency 1", row)
	}
	return n == 256 && per >= 2
}

// checkCoalesceSVG checks that the coalescing chart is well-formed XML with
// a bar per (workload, concurrency, series) of the workloads getcd-coalesce
// runs, and names each of them.
func checkCoalesceSVG(t *testing.T, svg []byte) {
	t.Helper()
	bars := 0
	for _, w := range Workloads() {
		if w.Coalesce {
			bars += len(levelsOf(w)) * len(coalesceSeries)
			if !bytes.Contains(svg, []byte(">"+w.Name+"<")) {
				t.Errorf("coalescing chart does not name workload %s", w.Name)
			}
		} else if bytes.Contains(svg, []byte(">"+w.Name+"<")) {
			t.Errorf("coalescing chart names workload %s, which getcd-coalesce does not run", w.Name)
		}
	}
	if bars == 0 {
		t.Fatal("no workload runs getcd-coalesce")
	}
	if rects, want := countRects(t, svg), 1+len(coalesceSeries)+bars; rects != want {
		t.Errorf("coalescing chart has %d rects, want %d", rects, want)
	}
}

// tableRows returns the rows of the markdown table that follows heading,
// keyed by the first cells joined with "|" (workload|conc|client for the
// cells, workload|conc for the ratios), and checks each row's width.
func tableRows(t *testing.T, md, heading string, width int) map[string][]string {
	t.Helper()
	_, rest, ok := strings.Cut(md, heading)
	if !ok {
		t.Fatalf("no %q section in:\n%s", heading, md)
	}
	rows := map[string][]string{}
	inTable := false
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "workload" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		if len(cells) != width {
			t.Errorf("row %q has %d cells, want %d", line, len(cells), width)
			continue
		}
		key := cells[0] + "|" + cells[1]
		if heading != "### Ratios" && heading != "### getcd's codec" && heading != "### Coalescing" {
			key += "|" + cells[2]
		}
		if _, dup := rows[key]; dup {
			t.Errorf("duplicate row %s", key)
		}
		rows[key] = cells
	}
	return rows
}

// checkSVG checks that the chart is well-formed XML with a bar per
// (workload, concurrency, series) and names every workload.
func checkSVG(t *testing.T, svg []byte) {
	t.Helper()
	rects := countRects(t, svg)
	// One background, one legend swatch per series, one bar per series
	// per workload per concurrency it runs at.
	bars := 0
	for _, w := range Workloads() {
		bars += len(levelsOf(w)) * len(chartSeries)
	}
	if want := 1 + len(chartSeries) + bars; rects != want {
		t.Errorf("chart has %d rects, want %d", rects, want)
	}
	for _, w := range Workloads() {
		if !bytes.Contains(svg, []byte(">"+w.Name+"<")) {
			t.Errorf("chart does not name workload %s", w.Name)
		}
	}
}

// countRects parses svg as XML and counts its rect elements.
func countRects(t *testing.T, svg []byte) int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return rects
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
}

// levelsOf is the concurrency levels the quick run uses for w: its own, or
// the default ones.
func levelsOf(w Workload) []int {
	levels, _ := parseConc(DefaultConc)
	return Config{Concurrency: levels}.Levels(w)
}
