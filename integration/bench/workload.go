package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Client is one of the three ways a workload is run.
type Client int

// The client kinds, in the order the report lists them.
const (
	Getcd    Client = iota // github.com/getcd/getcd/conn
	Official               // go.etcd.io/etcd/client/v3
	Raw                    // etcdserverpb.KVClient with prebuilt messages
	numClients
)

// Clients lists every client kind.
var Clients = [numClients]Client{Getcd, Official, Raw}

func (c Client) String() string {
	switch c {
	case Getcd:
		return "getcd"
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

	Getcd, Official, Raw NewOp
}

func (w Workload) newOp(c Client) NewOp {
	switch c {
	case Getcd:
		return w.Getcd
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
