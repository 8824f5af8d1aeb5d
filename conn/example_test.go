package conn_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// A connection to a three-member cluster, a put, a read by prefix and the
// eetcd README's compare-and-swap. (Not run: it needs a cluster; see
// examples/quickstart for a program that starts one.)
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{
		Endpoints: []string{"127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	if _, err := c.Put(ctx, kv.New().WithKey("Kv1").WithValue("Value")); err != nil {
		fmt.Println(err)
		return
	}
	got, err := c.Get(ctx, kv.New().WithKey("Kv").WithPrefix())
	if err != nil {
		fmt.Println(err)
		return
	}
	rev := got.KVs[0].ModRevision
	resp, err := c.Txn(ctx, op.If(compare.Key("Kv1").ModRevision(compare.Equal, rev)).
		Then(op.Put(kv.New().WithKey("Kv1").WithValue("ChangeValue"))))
	switch {
	case errors.Is(err, conn.ErrUnknownOutcome):
		fmt.Println("the swap may or may not have happened: read the key again")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("swapped:", resp.Succeeded, "at revision", resp.Header.Revision)
	}
}

// Validate checks a configuration without touching the network; every
// problem names its field.
func ExampleConfig_Validate() {
	for _, cfg := range []conn.Config{
		{Endpoints: []string{"127.0.0.1:2379", "[::1]:2379", "https://etcd.example:2379"}},
		{Endpoints: []string{"127.0.0.1"}},
		{Endpoints: []string{"127.0.0.1:2379"}, KeepAliveTime: time.Second},
	} {
		err := cfg.Validate()
		fmt.Println(err, errors.Is(err, conn.ErrInvalidConfig))
	}
	// Output:
	// conn: invalid config: Endpoints: mixes https:// and plain endpoints; one connection uses one transport true
	// conn: invalid config: Endpoints: endpoint "127.0.0.1": want host:port ([v6]:port for IPv6): address 127.0.0.1: missing port in address true
	// conn: invalid config: KeepAliveTime: below 5s etcd's server closes the connection for too many pings, got 1s true
}

// Paging through a large prefix at one revision: a limit per page, the next
// page starting just after the last key, the first page's revision for every
// page, and More to stop. (Not run: it needs a cluster; examples/paging is
// the runnable program.)
func ExampleConn_Get_paging() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	const prefix = "orders/"
	req := kv.New().WithKey(prefix).WithRangeEnd(kv.PrefixEnd(prefix)).WithLimit(100)
	for page := 1; ; page++ {
		resp, err := c.Get(ctx, req)
		if err != nil {
			fmt.Println(err) // conn.ErrCompacted if the revision went away: start again
			return
		}
		if page == 1 {
			req = req.WithRev(resp.Header.Revision)
		}
		fmt.Println("page", page, "holds", len(resp.KVs), "keys")
		if !resp.More || len(resp.KVs) == 0 {
			return
		}
		req = req.WithKey(string(resp.KVs[len(resp.KVs)-1].Key) + "\x00")
	}
}
