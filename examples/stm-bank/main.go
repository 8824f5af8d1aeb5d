// Stm-bank moves money between accounts from many goroutines, each with a
// connection of its own, with getcd's STM at serializable snapshot
// isolation: a transfer reads both balances, declines if the payer has too
// little, and writes both new balances; it commits only if neither balance
// changed since it was read. However the transfers interleave, no money is
// lost or created and no balance goes negative.
//
//	go run ./examples/stm-bank
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/stm"
)

const (
	prefix    = "stm-bank/accounts/"
	accounts  = 5
	initial   = 100
	workers   = 8
	transfers = 10 // per worker
)

// errInsufficient declines a transfer: the transaction writes nothing and
// stm.Run returns this very error.
var errInsufficient = errors.New("insufficient funds")

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("stm-bank", time.Minute, run)
}

// transfer is the transaction that moves amount from one account to another.
func transfer(from, to string, amount int) stm.Request {
	return stm.New(func(ctx context.Context, tx *stm.Tx) error {
		a, err := tx.Get(ctx, from)
		if err != nil {
			return err
		}
		b, err := tx.Get(ctx, to)
		if err != nil {
			return err
		}
		fa, err := strconv.Atoi(a)
		if err != nil {
			return err
		}
		tb, err := strconv.Atoi(b)
		if err != nil {
			return err
		}
		if fa < amount {
			return errInsufficient
		}
		tx.Put(from, strconv.Itoa(fa-amount))
		tx.Put(to, strconv.Itoa(tb+amount))
		return nil
	}).WithPrefetch(from, to) // both balances in one round trip
}

// balances reads every account in one request (the store's own view,
// outside any transaction).
func balances(ctx context.Context, c *conn.Conn) (map[string]int, int, error) {
	resp, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix())
	if err != nil {
		return nil, 0, err
	}
	out := map[string]int{}
	total := 0
	for _, m := range resp.KVs {
		n, err := strconv.Atoi(string(m.Value))
		if err != nil {
			return nil, 0, err
		}
		out[string(m.Key)] = n
		total += n
	}
	return out, total, nil
}

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	c, err := conn.New(ctx, conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Delete(ctx, kv.New().WithKey(prefix).WithPrefix()); err != nil {
		return err
	}
	names := make([]string, accounts)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i)
		if _, err := c.Put(ctx, kv.New().WithKey(names[i]).WithValue(strconv.Itoa(initial))); err != nil {
			return err
		}
	}
	_, before, err := balances(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d accounts, %d in all\n", accounts, before)

	var (
		wg                               sync.WaitGroup
		mu                               sync.Mutex
		moved, declined, gaveUp, retries int
		errs                             []error
	)
	for w := range workers {
		wc, err := conn.New(ctx, conn.Config{Endpoints: endpoints}) // a connection per worker
		if err != nil {
			return err
		}
		defer wc.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range transfers {
				i := rng.IntN(accounts)
				j := (i + 1 + rng.IntN(accounts-1)) % accounts
				res, err := stm.Run(ctx, wc, transfer(names[i], names[j], 1+rng.IntN(40)))
				var conflict *stm.ConflictError
				mu.Lock()
				retries += max(res.Attempts-1, 0)
				switch {
				case err == nil:
					moved++
				case errors.Is(err, errInsufficient):
					declined++
				case errors.As(err, &conflict):
					gaveUp++ // nothing was written; a real program might try later
				default:
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	after, total, err := balances(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d transfers: %d moved money, %d declined for insufficient funds, %d gave up after conflicts; %d retries\n",
		workers*transfers, moved, declined, gaveUp, retries)
	negative := 0
	for _, n := range names {
		fmt.Fprintf(out, "  %s = %d\n", n, after[n])
		if after[n] < 0 {
			negative++
		}
	}
	fmt.Fprintf(out, "in all: %d (was %d); negative balances: %d\n", total, before, negative)
	if total != before || negative > 0 {
		return fmt.Errorf("the bank's books do not balance")
	}
	return nil
}
