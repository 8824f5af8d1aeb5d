// Coalesce shows a connection that merges concurrent requests into single
// transactions (conn.Config.Coalescing). Many workers record readings at
// once, first on a plain connection and then on a coalescing one; both
// write every reading exactly once, and the coalescing one does it in far
// fewer round trips, which its counts show. Readings written in one batch
// share a revision, as concurrent writes landing back to back could.
//
//	go run ./examples/coalesce
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
)

func main() {
	demo.Main("coalesce", time.Minute, run)
}

const (
	prefix   = "examples/coalesce/"
	workers  = 64
	readings = 40
)

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	for _, co := range []conn.Coalescing{{}, {Enabled: true}} {
		name := "plain"
		if co.Enabled {
			name = "coalescing"
		}
		c, err := conn.New(ctx, conn.Config{Endpoints: endpoints, Coalescing: co})
		if err != nil {
			return err
		}
		err = record(ctx, out, c, name)
		c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// record has every worker write its readings, one put each, all workers
// at once, then reads them back.
func record(ctx context.Context, out io.Writer, c *conn.Conn, name string) error {
	p := prefix + name + "/"
	if _, err := c.Delete(ctx, kv.New().WithKey(p).WithPrefix()); err != nil {
		return err
	}
	start := time.Now()
	revs := make(map[int64]int)
	var mu sync.Mutex
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range readings {
				key := p + "sensor-" + strconv.Itoa(w) + "/" + strconv.Itoa(i)
				r, err := c.Put(ctx, kv.New().WithKey(key).WithValue(strconv.Itoa(w*i)))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				revs[r.Header.Revision]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	got, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d workers wrote %d readings; %d read back\n", name, workers, workers*readings, got.Count)
	fmt.Fprintf(out, "  %d revisions for %d puts, in %v\n", len(revs), workers*readings, took.Round(time.Millisecond))
	if st := c.CoalesceStats(); st.Enabled {
		fmt.Fprintf(out, "  %d puts went alone, the rest in %d transactions of %.1f puts on average (at most %d)\n",
			st.Alone, st.Batches, st.PerBatch(), st.MaxBatch)
		if st.Batches > 0 {
			fmt.Fprintf(out, "  %d round trips instead of %d\n", st.Alone+st.Batches+st.Resent, workers*readings)
		}
	}
	_, err = c.Delete(ctx, kv.New().WithKey(p).WithPrefix())
	return err
}
