// Paging reads every key under a prefix a page at a time, all pages at one
// revision, so that the listing is one consistent snapshot however many
// writes happen while it runs.
//
//	go run ./examples/paging
//
// The first page is read at the newest revision; every later page asks for
// that same revision (WithRev) and starts just after the last key of the
// page before (its key plus a zero byte), up to the end of the prefix
// (kv.PrefixEnd). GetResponse.More says whether keys are left.
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
)

// main hands run to demo.Quiet (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Quiet("paging", 30*time.Second, run)
}

const prefix = "paging/items/"

// run fills the prefix with 25 keys, then lists them 10 at a time while it
// changes the prefix between pages.
func run(ctx context.Context, out io.Writer, endpoints []string) error {
	c, err := conn.New(ctx, conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	defer c.Close()

	if _, err := c.Delete(ctx, kv.New().WithKey(prefix).WithPrefix()); err != nil { // start clean
		return err
	}
	for i := range 25 {
		if _, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%02d", prefix, i)).WithValue("v")); err != nil {
			return err
		}
	}

	var keys []string
	rev, pages, err := listPages(ctx, c, prefix, 10, func(page int, kvs []conn.KeyValue) error {
		first, last := string(kvs[0].Key), string(kvs[len(kvs)-1].Key)
		fmt.Fprintf(out, "page %d: %d keys, %s .. %s\n", page, len(kvs), strings.TrimPrefix(first, prefix), strings.TrimPrefix(last, prefix))
		for _, item := range kvs {
			keys = append(keys, string(item.Key))
		}
		if page == 1 {
			// Writes between pages do not show: the later pages are read
			// at the first page's revision.
			if _, err := c.Delete(ctx, kv.New().WithKey(prefix+"15")); err != nil {
				return err
			}
			for _, k := range []string{"98", "99"} {
				if _, err := c.Put(ctx, kv.New().WithKey(prefix+k).WithValue("late")); err != nil {
					return err
				}
			}
			fmt.Fprintln(out, "meanwhile: deleted 15, added 98 and 99")
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listed %d keys in %d pages at revision %d\n", len(keys), pages, rev)

	now, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithCountOnly())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the prefix holds %d keys now, at revision %d\n", now.Count, now.Header.Revision)
	return nil
}

// listPages calls visit with every page of at most pageSize keys under
// prefix, all read at the revision of the first page, which it returns with
// the number of pages. If that revision is compacted while the listing runs,
// the next page fails with conn.ErrCompacted: start again.
func listPages(ctx context.Context, c *conn.Conn, prefix string, pageSize int, visit func(page int, kvs []conn.KeyValue) error) (int64, int, error) {
	req := kv.New().WithKey(prefix).WithRangeEnd(kv.PrefixEnd(prefix)).WithLimit(pageSize)
	var rev int64
	for page := 1; ; page++ {
		resp, err := c.Get(ctx, req)
		if err != nil {
			return rev, page - 1, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
			req = req.WithRev(rev) // every later page at the same revision
		}
		if len(resp.KVs) == 0 {
			return rev, page - 1, nil
		}
		if err := visit(page, resp.KVs); err != nil {
			return rev, page, err
		}
		if !resp.More {
			return rev, page, nil
		}
		// The next page starts right after the last key of this one.
		req = req.WithKey(string(resp.KVs[len(resp.KVs)-1].Key) + "\x00")
	}
}
