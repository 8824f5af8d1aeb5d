// Stm-counter increments one counter from many goroutines at once with
// getcd's STM: each increment reads the counter and writes it plus one,
// and commits only if nobody else committed in between; otherwise it runs
// again after a short random pause. No increment is lost. The transaction
// names its connection and runs through the registry.
//
//	go run ./examples/stm-counter
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/stm"
)

const (
	workers    = 8
	increments = 10 // per worker
	key        = "stm-counter/example"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("stm-counter", time.Minute, run)
}

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	// A named connection: the transaction below carries the name and runs
	// through the registry, like any other getcd call.
	reg := registry.New()
	defer reg.CloseAll()
	c, err := reg.Open(ctx, "counter", conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	if _, err := c.Delete(ctx, kv.New().WithKey(key)); err != nil { // start from zero
		return err
	}

	// The transaction, built once: read the counter, write it plus one.
	incr := stm.On("counter", func(ctx context.Context, tx *stm.Tx) error {
		v, err := tx.Get(ctx, key)
		if err != nil {
			return err
		}
		n := 0
		if v != "" { // a missing counter reads as ""
			if n, err = strconv.Atoi(v); err != nil {
				return err
			}
		}
		tx.Put(key, strconv.Itoa(n+1))
		return nil
	}).WithMaxAttempts(50) // 8 goroutines on one key: allow more tries than the default

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		attempts int
		errs     []error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				res, err := registry.CallIn(ctx, reg, stm.Run, incr) // registry.Call with the default registry
				mu.Lock()
				attempts += res.Attempts
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	resp, err := c.Get(ctx, kv.New().WithKey(key))
	if err != nil {
		return err
	}
	final := string(resp.KVs[0].Value)
	fmt.Fprintf(out, "%d goroutines × %d increments: counter = %s (want %d)\n", workers, increments, final, workers*increments)
	fmt.Fprintf(out, "%d attempts for %d commits: %d retried after a conflict\n", attempts, workers*increments, attempts-workers*increments)
	if final != strconv.Itoa(workers*increments) {
		return fmt.Errorf("lost increments: counter is %s", final)
	}
	return nil
}
