// Discovery is service discovery with a mirror: instances of a service
// register under a key prefix, and a client keeps a local copy of that
// prefix that follows every change, printing the instances as they come,
// go and move.
//
//	go run ./examples/discovery
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/watch"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("discovery", 30*time.Second, run)
}

const prefix = "discovery/services/api/"

// run registers two instances, mirrors the service's prefix, and then
// changes the instances while the mirror reports each change.
func run(ctx context.Context, out io.Writer, endpoints []string) error {
	c, err := conn.New(ctx, conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Delete(ctx, kv.New().WithKey(prefix).WithPrefix()); err != nil {
		return err
	}
	register := func(name, addr string) error {
		_, err := c.Put(ctx, kv.New().WithKey(prefix+name).WithValue(addr))
		return err
	}
	if err := register("api-1", "10.0.0.1:8080"); err != nil {
		return err
	}
	if err := register("api-2", "10.0.0.2:8080"); err != nil {
		return err
	}

	// The mirror lists the prefix, then follows it from the next revision.
	// If it ever falls behind a compaction it lists again and reports the
	// differences as a resync, instead of failing.
	m, err := watch.OpenMirror(ctx, c, watch.Prefix(prefix))
	if err != nil {
		return err
	}
	defer m.Close()

	// Meanwhile, the service changes: one instance joins, one leaves, one
	// moves to another address.
	changes := []func() error{
		func() error { return register("api-3", "10.0.0.3:8080") },
		func() error { _, err := c.Delete(ctx, kv.New().WithKey(prefix+"api-1")); return err },
		func() error { return register("api-2", "10.0.0.22:8080") },
	}
	errc := make(chan error, 1)
	go func() {
		for _, change := range changes {
			if err := change(); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()

	// The updates carry every change, a resync's differences included, so
	// applying them keeps a view of the service in step with what was
	// printed. (The mirror itself, m.List and m.Get, may already be ahead.)
	serving := map[string]string{}
	seen := 0
	for u, err := range m.Changes() {
		if err != nil {
			return err
		}
		switch u.Kind {
		case watch.Initial:
			fmt.Fprintf(out, "%d instances at start:\n", len(u.Events))
		default: // watch.Change, or watch.Resync after a re-list
			seen++
		}
		for _, ev := range u.Events {
			name := strings.TrimPrefix(string(ev.KV.Key), prefix)
			switch {
			case ev.Type == watch.Delete:
				fmt.Fprintf(out, "  - %s left (was at %s)\n", name, ev.PrevKV.Value)
				delete(serving, name)
			case ev.PrevKV != nil:
				fmt.Fprintf(out, "  ~ %s moved from %s to %s\n", name, ev.PrevKV.Value, ev.KV.Value)
				serving[name] = string(ev.KV.Value)
			default:
				fmt.Fprintf(out, "  + %s at %s\n", name, ev.KV.Value)
				serving[name] = string(ev.KV.Value)
			}
		}
		fmt.Fprintf(out, "now serving: %s\n", strings.Join(slices.Sorted(maps.Keys(serving)), ", "))
		if seen == len(changes) {
			break
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	addr, ok := m.Get(prefix + "api-2")
	fmt.Fprintf(out, "api-2 is at %s (%v); the mirror is at revision %d\n", addr.Value, ok, m.Revision())
	_, err = c.Delete(ctx, kv.New().WithKey(prefix).WithPrefix())
	return err
}
