package lock_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// Take a lock, write only while holding it, release it. (Not run: it needs
// a cluster; see examples/lock for a program that starts one.)
func Example() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := lease.NewSession(ctx, c, lease.TTL(10))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	m, err := lock.Lock(ctx, c, lock.New("locks/report").WithSession(s))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(ctx)

	// The guard makes the write conditional on still holding the lock when
	// the server applies it: a holder whose lease expired cannot write.
	resp, err := c.Txn(ctx, op.If(m.Guard()).Then(op.Put(kv.New().WithKey("report").WithValue("done"))))
	if err != nil {
		log.Fatal(err)
	}
	if !resp.Succeeded {
		log.Print("lock lost before the write; nothing written:", m.Err())
	}
}

// TryLock fails at once, leaving no key, when someone else has the lock.
// (Not run.)
func ExampleTryLock() {
	ctx := context.Background()
	if _, err := registry.Open(ctx, "main", conn.Config{Endpoints: []string{"127.0.0.1:2379"}}); err != nil {
		log.Fatal(err)
	}
	defer registry.Close("main")
	c, _ := registry.Lookup("main")
	s, err := lease.NewSession(ctx, c, lease.TTL(10))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	m, err := registry.Call(ctx, lock.TryLock, lock.New("locks/report").WithSession(s).On("main"))
	switch {
	case errors.Is(err, lock.ErrLocked):
		fmt.Println("busy; try later")
		return
	case err != nil:
		log.Fatal(err)
	}
	defer m.Unlock(ctx)
	select {
	case <-m.Done():
		log.Print(m.Err()) // a *lock.LostError: the session lost its lease
	default:
	}
}

// The key a holder takes is the one etcd's own recipes take: the prefix, a
// slash, and the lease ID in lowercase hexadecimal.
func ExampleRequest_KeyFor() {
	fmt.Println(lock.New("locks/report").KeyFor(0x694d7a1b2c3d4e5f))
	// Output: locks/report/694d7a1b2c3d4e5f
}

// Invalid requests are never sent: the error names the field.
func ExampleRequest_invalid() {
	ctx := context.Background()
	var c *conn.Conn // never reached
	for _, err := range []error{
		func() error { _, err := lock.Lock(ctx, c, lock.New("").WithSession(new(lease.Session))); return err }(),
		func() error { _, err := lock.TryLock(ctx, c, lock.New("locks/a")); return err }(),
		func() error { _, err := lock.ServerLock(ctx, c, lock.New("locks/a").WithLease(-1)); return err }(),
	} {
		fmt.Println(errors.Is(err, kv.ErrInvalidRequest), err)
	}
	// Output:
	// true lock: invalid lock request: prefix: required: the lock's name (lock.New(prefix)); its keys are prefix/<lease in hex>
	// true lock: invalid try_lock request: session: required: the lease.Session that holds the lock (WithSession)
	// true lock: invalid server_lock request: lease: must be positive (etcd hands out positive IDs), got -1
}
