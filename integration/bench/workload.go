package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Client is one of the ways a workload is run.
type Client int

// The client kinds, in the order the report lists them.
const (
	Getcd         Client = iota // github.com/getcd/getcd/conn
	GetcdGen                    // the same with conn.Config.GeneratedMessages: etcd's generated messages instead of getcd's codec
	GetcdCoalesce               // the same with conn.Config.Coalescing on: concurrent Get/Put/Delete merged into one txn
	Official                    // go.etcd.io/etcd/client/v3
	Raw                         // etcdserverpb.KVClient with prebuilt messages
	numClients
)

// Clients lists every client kind.
var Clients = [numClients]Client{Getcd, GetcdGen, GetcdCoalesce, Official, Raw}

// baseClients are the kinds every workload and section runs with; GetcdGen
// runs only the workloads marked KV, GetcdCoalesce only those marked
// Coalesce.
var baseClients = []Client{Getcd, Official, Raw}

func (c Client) String() string {
	switch c {
	case Getcd:
		return "getcd"
	case GetcdGen:
		return "getcd-gen"
	case GetcdCoalesce:
		return "getcd-coalesce"
	case Official:
		return "official"
	case Raw:
		return "raw"
	}
	return fmt.Sprintf("Client(%d)", int(c))
}

// Op is one operation, repeated by one goroutine during a cell. It is
// called from a single goroutine at a time, so it may keep state (such as
// the revision a compare-and-swap expects next) without locking.
type Op func(ctx context.Context) error

// NewOp prepares the operation that goroutine worker (0 to concurrency-1)
// repeats. It runs before the warm-up, outside the measurement.
type NewOp func(ctx context.Context, e *Env, worker int) (Op, error)

// Workload is one kind of request, runnable by every client kind.
type Workload struct {
	Name string // short, unique, used in the table: "put-16B"
	Desc string // one line for the legend

	// Setup, when set, prepares the keyspace once before the workload's
	// cells (for example the keys a range reads).
	Setup func(ctx context.Context, e *Env) error

	// Concurrency, when set, are the levels the workload runs at instead
	// of the command's default ones; -conc given explicitly overrides it.
	Concurrency []int

	// KV marks a workload whose getcd side runs through the key-value
	// calls getcd's own wire codec serves (Get, Put, Delete, Txn): it is
	// also run as GetcdGen, the Getcd op on a connection that uses etcd's
	// generated messages, so that the report compares the two paths.
	KV bool

	// Coalesce marks a workload whose getcd side is a Get, Put or Delete,
	// the calls coalescing merges: it is also run as GetcdCoalesce, the
	// Getcd op on a connection with conn.Config.Coalescing on.
	Coalesce bool

	Getcd, Official, Raw NewOp
}

// clients returns the client kinds w runs with, in the order of Clients.
func (w Workload) clients() []Client {
	var out []Client
	for _, c := range Clients {
		if c == GetcdGen && !w.KV || c == GetcdCoalesce && !w.Coalesce {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (w Workload) newOp(c Client) NewOp {
	switch c {
	case Getcd:
		return w.Getcd
	case GetcdGen:
		return func(ctx context.Context, e *Env, worker int) (Op, error) { return w.Getcd(ctx, e.gen, worker) }
	case GetcdCoalesce:
		return func(ctx context.Context, e *Env, worker int) (Op, error) { return w.Getcd(ctx, e.co, worker) }
	case Official:
		return w.Official
	case Raw:
		return w.Raw
	}
	return nil
}

var registry []Workload

// Register adds a workload to the ones the command runs. Workload files
// call it from init; it panics on a duplicate or incomplete workload, which
// is a programming error found by the package's test.
func Register(w Workload) {
	if w.Name == "" || strings.ContainsAny(w.Name, "| \t") {
		panic("bench: workload name must be non-empty without spaces or |: " + w.Name)
	}
	if w.Getcd == nil || w.Official == nil || w.Raw == nil {
		panic("bench: workload " + w.Name + " needs an op for every client")
	}
	if slices.ContainsFunc(registry, func(o Workload) bool { return o.Name == w.Name }) {
		panic("bench: workload " + w.Name + " registered twice")
	}
	registry = append(registry, w)
}

// Workloads returns the registered workloads, sorted by name.
func Workloads() []Workload {
	out := slices.Clone(registry)
	slices.SortStableFunc(out, func(a, b Workload) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Section is a measurement that does not fit the per-operation cells of a
// Workload, such as keeping N leases alive for a while. It runs once per
// benchmark run, after the workloads, and returns its own part of the
// markdown report. -run selects sections by name as it selects workloads.
type Section struct {
	Name string // short, unique, without spaces: "lease-keepalive"
	Desc string // one line for the legend

	// Run measures and returns markdown (a "### " heading and its tables).
	Run func(ctx context.Context, e *Env, cfg SectionConfig) (string, error)

	// Check, when set, checks the whole report of a quick run for the
	// section's rows; the package's test calls it. It checks no timing.
	Check func(md string) error
}

// SectionConfig is what a Section is told about the run.
type SectionConfig struct {
	Quick    bool      // -quick: as small and short as still says something
	Rounds   int       // rounds of the run; the section may interleave its clients as Run does
	Progress io.Writer // one line per measurement; never nil
}

var sections []Section

// RegisterSection adds a section to the ones the command runs.
func RegisterSection(s Section) {
	if s.Name == "" || strings.ContainsAny(s.Name, "| \t") || s.Run == nil {
		panic("bench: section needs a name without spaces or | and a Run: " + s.Name)
	}
	if slices.ContainsFunc(sections, func(o Section) bool { return o.Name == s.Name }) ||
		slices.ContainsFunc(registry, func(o Workload) bool { return o.Name == s.Name }) {
		panic("bench: " + s.Name + " registered twice")
	}
	sections = append(sections, s)
}

// Sections returns the registered sections, sorted by name.
func Sections() []Section {
	out := slices.Clone(sections)
	slices.SortStableFunc(out, func(a, b Section) int { return strings.Compare(a.Name, b.Name) })
	return out
}
