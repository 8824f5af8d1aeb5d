// Lock shows workers that share a counter under a distributed lock and
// write it only while they hold the lock: each takes the lock, reads the
// counter, and writes the counter plus one in a transaction guarded by the
// lock (the write happens only if the lock is still held when etcd applies
// it). Then a holder's lease is revoked behind its back, as an expiry
// during a long pause would do: a second worker takes the lock, and the
// stale holder's guarded write is refused instead of overwriting the
// successor's work.
//
//	go run ./examples/lock
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
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("lock", time.Minute, run)
}

const (
	lockName = "examples/lock/ledger-lock"
	counter  = "examples/lock/ledger"
	workers  = 3
	rounds   = 5
)

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	reg := registry.New()
	defer reg.CloseAll()
	// One connection and one session per worker, as separate processes
	// would have: holders on one session share a key.
	names := make([]string, workers)
	sessions := make([]*lease.Session, workers)
	for i := range names {
		names[i] = "worker-" + strconv.Itoa(i+1)
		if _, err := reg.Open(ctx, names[i], conn.Config{Endpoints: endpoints}); err != nil {
			return err
		}
		s, err := registry.CallIn(ctx, reg, lease.NewSession, lease.On(names[i]).WithTTL(10))
		if err != nil {
			return err
		}
		defer s.Close()
		sessions[i] = s
	}
	c, err := reg.Lookup(names[0])
	if err != nil {
		return err
	}
	if _, err := c.Delete(ctx, kv.New().WithKey("examples/lock/").WithPrefix()); err != nil { // start clean
		return err
	}

	// 1. Every worker increments the counter under the lock, rounds times.
	fmt.Fprintf(out, "%d workers increment %s %d times each under the lock %s\n", workers, counter, rounds, lockName)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := lock.New(lockName).WithSession(sessions[i]).On(names[i])
			for range rounds {
				if errs[i] = incrementUnderLock(ctx, reg, req); errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	n, err := read(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "counter = %d after %d guarded increments: nothing lost\n", n, workers*rounds)

	// 2. A stale holder: worker-1 takes the lock and reads the counter,
	// then stalls; meanwhile its lease goes (revoked here) and worker-2
	// takes over and increments.
	stale, err := registry.CallIn(ctx, reg, lock.Lock, lock.New(lockName).WithSession(sessions[0]).On(names[0]))
	if err != nil {
		return err
	}
	v, err := read(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "worker-1 holds the lock (fencing token %d) and read %d; then it stalls\n", stale.Token(), v)
	if _, err := lease.Revoke(ctx, c, lease.ID(sessions[0].ID())); err != nil {
		return err
	}
	fmt.Fprintln(out, "worker-1's lease is revoked behind its back")
	if err := incrementUnderLock(ctx, reg, lock.New(lockName).WithSession(sessions[1]).On(names[1])); err != nil {
		return err
	}
	fmt.Fprintln(out, "worker-2 took over and incremented")

	// 3. worker-1 wakes up and writes what it computed before the pause,
	// guarded by its lock: etcd refuses it.
	resp, err := c.Txn(ctx, op.If(stale.Guard()).Then(op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(v+1)))))
	if err != nil {
		return err
	}
	n, err = read(ctx, c)
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return fmt.Errorf("the stale holder's guarded write was accepted; counter %d", n)
	}
	fmt.Fprintf(out, "worker-1's guarded write was refused: counter = %d, worker-2's increment kept\n", n)

	// 4. worker-1's lock reports the loss once its session learns of it.
	select {
	case <-stale.Done():
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := stale.Err(); !errors.Is(err, lock.ErrLost) {
		return fmt.Errorf("worker-1's lock ended with %v, want lock.ErrLost", err)
	}
	fmt.Fprintln(out, "worker-1's lock reports:", stale.Err())
	return nil
}

// incrementUnderLock takes the lock, reads the counter and writes it plus
// one, guarded by the lock, then releases the lock.
func incrementUnderLock(ctx context.Context, reg *registry.Registry, req lock.Request) error {
	m, err := registry.CallIn(ctx, reg, lock.Lock, req)
	if err != nil {
		return err
	}
	defer m.Unlock(ctx)
	c, err := reg.Lookup(req.Conn())
	if err != nil {
		return err
	}
	n, err := read(ctx, c)
	if err != nil {
		return err
	}
	resp, err := c.Txn(ctx, op.If(m.Guard()).Then(op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(n+1)))))
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("lock lost before the write: %v", m.Err())
	}
	return m.Unlock(ctx)
}

func read(ctx context.Context, c *conn.Conn) (int, error) {
	resp, err := c.Get(ctx, kv.New().WithKey(counter))
	if err != nil || len(resp.KVs) == 0 {
		return 0, err
	}
	return strconv.Atoi(string(resp.KVs[0].Value))
}
