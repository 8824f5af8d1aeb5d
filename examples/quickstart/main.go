// Quickstart is a tour of getcd: it opens a named connection, writes and
// reads keys with the request builder, runs a compare-and-swap transaction,
// deletes by prefix and looks the connection up by name.
//
//	go run ./examples/quickstart
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("quickstart", 30*time.Second, run)
}

// run is the tour itself. Its context parameter is called ctx, as in most Go
// code, and the builder package (kv, in folder ctx/) needs no import alias.
func run(ctx context.Context, out io.Writer, endpoints []string) error {
	reg := registry.New()
	defer reg.CloseAll()

	// 1. A named connection, as with eetcd:open(quickstart, Endpoints).
	if _, err := reg.Open(ctx, "quickstart", conn.Config{Endpoints: endpoints}); err != nil {
		return err
	}
	fmt.Fprintln(out, "opened connection \"quickstart\"")

	// Requests carry the connection name (eetcd's new(Name)), so they can be
	// run by name from anywhere.
	base := kv.On("quickstart").WithTimeout(5 * time.Second)
	const prefix = "quickstart/config/"
	_, _ = reg.Delete(ctx, base.WithKey(prefix).WithPrefix()) // start clean

	// 2. Put.
	for _, kvp := range [][2]string{{"color", "blue"}, {"size", "10"}, {"mode", "fast"}} {
		r, err := reg.Put(ctx, base.WithKey(prefix+kvp[0]).WithValue(kvp[1]))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "put %s%s=%s at revision %d\n", prefix, kvp[0], kvp[1], r.Header.Revision)
	}

	// 3. Get with a prefix, sorted by key, descending.
	got, err := reg.Get(ctx, base.WithKey(prefix).WithPrefix().WithSort(kv.SortByKey, kv.SortDescend))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "get prefix %s sorted by key, descending: %d keys\n", prefix, got.Count)
	for _, k := range got.KVs {
		fmt.Fprintf(out, "  %s = %s (version %d, mod revision %d)\n", k.Key, k.Value, k.Version, k.ModRevision)
	}

	// 4. Compare-and-swap: change size only if nobody changed it since we read it.
	size, err := reg.Get(ctx, base.WithKey(prefix+"size"))
	if err != nil {
		return err
	}
	rev := size.KVs[0].ModRevision
	cas := op.If(compare.Key(prefix+"size").ModRevision(compare.Equal, rev)).
		Then(op.Put(kv.New().WithKey(prefix + "size").WithValue("20"))).
		Else(op.Get(kv.New().WithKey(prefix + "size"))).
		WithConn("quickstart")
	first, err := reg.Txn(ctx, cas)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "CAS size 10 -> 20 if mod revision is %d: succeeded=%v\n", rev, first.Succeeded)
	second, err := reg.Txn(ctx, cas)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "same CAS again with the stale revision: succeeded=%v, current value %s\n",
		second.Succeeded, second.Responses[0].Get.KVs[0].Value)

	// 5. Look the connection up by name and use it directly.
	c, err := reg.Lookup("quickstart")
	if err != nil {
		return err
	}
	count, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithCountOnly())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "lookup \"quickstart\": %d keys under %s, served by member %x\n", count.Count, prefix, count.Header.MemberID)
	fmt.Fprint(out, "connections:\n", reg.Info())

	// 6. Delete by prefix.
	del, err := reg.Delete(ctx, base.WithKey(prefix).WithPrefix().WithPrevKV())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "deleted %d keys under %s\n", del.Deleted, prefix)
	return nil
}
