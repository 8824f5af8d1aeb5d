package stm_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/stm"
)

// A counter incremented by many processes at once: each increment reads
// the counter and writes it back, and the commit fails (and the function
// runs again) if another increment committed in between. (Not run: it
// needs a cluster.)
func Example() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	incr := stm.New(func(ctx context.Context, tx *stm.Tx) error {
		v, err := tx.Get(ctx, "counter")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(v) // a missing counter reads as ""
		tx.Put("counter", strconv.Itoa(n+1))
		return nil
	})
	res, err := stm.Run(ctx, c, incr)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("committed at revision", res.Revision, "after", res.Attempts, "attempt(s)")
}

// Moving money between two accounts: the commit checks that neither balance
// changed since it was read, so concurrent transfers never lose or create
// money. An error from the function aborts without writing anything and
// comes back from Run unchanged. (Not run: it needs a cluster.)
func Example_transfer() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	errInsufficient := errors.New("insufficient funds")
	transfer := func(from, to string, amount int) stm.Request {
		return stm.New(func(ctx context.Context, tx *stm.Tx) error {
			a, err := tx.Get(ctx, from)
			if err != nil {
				return err
			}
			b, err := tx.Get(ctx, to)
			if err != nil {
				return err
			}
			fa, _ := strconv.Atoi(a)
			tb, _ := strconv.Atoi(b)
			if fa < amount {
				return errInsufficient
			}
			tx.Put(from, strconv.Itoa(fa-amount))
			tx.Put(to, strconv.Itoa(tb+amount))
			return nil
		}).WithPrefetch(from, to) // both balances in one round trip
	}
	_, err = stm.Run(ctx, c, transfer("accounts/alice", "accounts/bob", 10))
	var conflict *stm.ConflictError
	switch {
	case errors.Is(err, errInsufficient):
		fmt.Println("not enough money")
	case errors.As(err, &conflict):
		fmt.Println("too much contention on", conflict.Keys, "after", conflict.Attempts, "attempts")
	case errors.Is(err, conn.ErrUnknownOutcome):
		fmt.Println("the transfer may or may not have happened; check before trying again")
	case err != nil:
		fmt.Println(err)
	}
}

// A request that names its connection runs by name through the registry,
// like every other getcd call. (Not run: it needs a cluster.)
func ExampleOn() {
	ctx := context.Background()
	if _, err := registry.Open(ctx, "main", conn.Config{Endpoints: []string{"127.0.0.1:2379"}}); err != nil {
		fmt.Println(err)
		return
	}
	defer registry.Close("main")

	// Elsewhere in the program: claim a job unless someone already has.
	claim := stm.On("main", func(ctx context.Context, tx *stm.Tx) error {
		_, taken, err := tx.Lookup(ctx, "jobs/42/owner")
		if err != nil || taken {
			return err
		}
		tx.Put("jobs/42/owner", "worker-7")
		return nil
	})
	res, err := registry.Call(ctx, stm.Run, claim)
	fmt.Println(res.Committed, err)
}

// Options are methods on the request; invalid ones are reported before
// anything is sent, naming the option.
func ExampleRequest_Validate() {
	req := stm.New(func(context.Context, *stm.Tx) error { return nil }).
		WithIsolation(stm.RepeatableReads).
		WithMaxAttempts(-1)
	err := req.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, stm.ErrInvalidRequest))
	// Output:
	// stm: invalid stm request: max_attempts: must not be negative, got -1
	// true
}

// The longest pause after each attempt doubles from Base up to Max; the
// actual pause is drawn at random below it.
func ExampleBackoff_Ceiling() {
	b := stm.Backoff{Base: 5 * time.Millisecond, Max: 30 * time.Millisecond}
	for attempt := 1; attempt <= 5; attempt++ {
		fmt.Println(attempt, b.Ceiling(attempt))
	}
	// Output:
	// 1 5ms
	// 2 10ms
	// 3 20ms
	// 4 30ms
	// 5 30ms
}
