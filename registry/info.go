package registry

import (
	"strconv"
	"strings"
	"time"

	"github.com/getcd/getcd/conn"
)

// Row is the state of one endpoint of one named connection.
type Row struct {
	Name string
	conn.EndpointStatus
}

// Table is a snapshot of every endpoint of every registered connection. Its
// String method prints it as a table, like eetcd's info().
type Table []Row

// Info returns the state of every endpoint of every connection, ordered by
// name and then by endpoint as configured.
func (r *Registry) Info() Table {
	var out Table
	for _, name := range r.Names() {
		c, err := r.Lookup(name)
		if err != nil {
			continue // closed meanwhile
		}
		for _, st := range c.Status() {
			out = append(out, Row{Name: name, EndpointStatus: st})
		}
	}
	return out
}

// ConnStats is what one named connection's coalescing of concurrent
// requests did (conn.Config.Coalescing).
type ConnStats struct {
	Name       string
	Coalescing conn.CoalesceStats
}

// Stats returns the coalescing counts of every connection, ordered by name.
func (r *Registry) Stats() []ConnStats {
	var out []ConnStats
	for _, name := range r.Names() {
		c, err := r.Lookup(name)
		if err != nil {
			continue // closed meanwhile
		}
		out = append(out, ConnStats{Name: name, Coalescing: c.CoalesceStats()})
	}
	return out
}

// String renders the table. Detail holds, per state, how long it has lasted,
// the next retry time and the last error, and for an endpoint left out of
// the connection's rotation (conn.EndpointStatus.OutOfRotation) since when
// and why:
//
//	| main | 127.0.0.1:2379 | active | out of rotation for 1.2s (conn: no leader: the member reports no leader), for 5m0s |
func (in Table) String() string {
	return in.render(time.Now())
}

func (in Table) render(now time.Time) string {
	rows := [][]string{{"NAME", "ENDPOINT", "STATE", "DETAIL"}}
	for _, r := range in {
		rows = append(rows, []string{r.Name, r.Endpoint, r.State.String(), detail(r.EndpointStatus, now)})
	}
	width := make([]int, 4)
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	var b strings.Builder
	line := func() {
		b.WriteByte('+')
		for _, w := range width {
			b.WriteString(strings.Repeat("-", w+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line()
	for i, row := range rows {
		b.WriteByte('|')
		for j, cell := range row {
			b.WriteByte(' ')
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", width[j]-len(cell)+1))
			b.WriteByte('|')
		}
		b.WriteByte('\n')
		if i == 0 {
			line()
		}
	}
	line()
	return b.String()
}

func detail(s conn.EndpointStatus, now time.Time) string {
	var parts []string
	if s.OutOfRotation {
		out := "out of rotation"
		if !s.OutSince.IsZero() {
			out += " for " + now.Sub(s.OutSince).Truncate(time.Millisecond).String()
		}
		if s.OutReason != nil {
			out += " (" + s.OutReason.Error() + ")"
		}
		parts = append(parts, out)
	}
	if !s.Since.IsZero() {
		parts = append(parts, "for "+now.Sub(s.Since).Truncate(time.Millisecond).String())
	}
	if s.Failures > 0 {
		parts = append(parts, "failed attempts: "+strconv.Itoa(s.Failures))
	}
	if !s.NextRetry.IsZero() {
		if d := s.NextRetry.Sub(now); d > 0 {
			parts = append(parts, "next retry in ~"+d.Truncate(time.Millisecond).String())
		} else {
			parts = append(parts, "retry due")
		}
	}
	if s.LastError != nil {
		parts = append(parts, "last error: "+s.LastError.Error())
	}
	return strings.Join(parts, ", ")
}
