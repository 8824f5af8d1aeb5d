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
// concurrency, and a well-formed chart. It checks no timing: the numbers of a
// test run on a shared machine mean nothing.
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
		}
	}
	if want := rows; len(cells) != want {
		t.Errorf("%d cell rows, want %d", len(cells), want)
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
		if heading != "### Ratios" && heading != "### getcd's codec" {
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
	dec := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
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

// levelsOf is the concurrency levels the quick run uses for w: its own, or
// the default ones.
func levelsOf(w Workload) []int {
	levels, _ := parseConc(DefaultConc)
	return Config{Concurrency: levels}.Levels(w)
}
