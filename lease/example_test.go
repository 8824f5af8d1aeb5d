package lease_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/registry"
)

// A lease tying a key to a process: grant, attach, keep alive, revoke. (Not
// run: it needs a cluster; see examples/registration for a program that
// starts one.)
func Example() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	g, err := lease.Grant(ctx, c, lease.TTL(10))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Put(ctx, kv.New().WithKey("workers/1").WithValue("busy").WithLease(g.ID)); err != nil {
		log.Fatal(err)
	}

	// Renewed every ~3 s on the connection's one keep-alive stream, with
	// nothing to drain, until ctx ends, Stop, loss or Conn.Close.
	h, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		log.Fatal(err)
	}
	defer h.Stop()
	go func() {
		<-h.Done()
		if errors.Is(h.Err(), lease.ErrLeaseLost) {
			log.Printf("lease %x lost: %v", h.ID(), h.Err())
		}
	}()

	// ... work ...

	if _, err := lease.Revoke(ctx, c, lease.ID(g.ID)); errors.Is(err, conn.ErrUnknownOutcome) {
		log.Print("the revoke may or may not have happened; the lease expires by itself in 10 s")
	}
}

// A service registration that heals itself: if the lease is lost (the
// process was cut off for longer than the TTL, or someone revoked it), the
// session grants a new one and writes the key again. (Not run.)
func ExampleNewSession() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	s, err := lease.NewSession(ctx, c, lease.TTL(5).WithRecovery())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close() // revokes the lease: the registration disappears at once
	if _, err := s.Register(ctx, "services/api/10.0.0.1", "10.0.0.1:8080"); err != nil {
		log.Fatal(err)
	}
	for {
		ch := s.Changed()
		st := s.Status()
		log.Printf("lease %x, %d lost, %d recovered, last loss: %v", st.ID, st.Losses, st.Recoveries, st.LastLoss)
		select {
		case <-ch:
		case <-s.Done():
			log.Print(s.Err())
			return
		}
	}
}

// Lease calls run by connection name through registry.Call, like every call
// of every getcd package. (Not run.)
func Example_byName() {
	ctx := context.Background()
	if _, err := registry.Open(ctx, "main", conn.Config{Endpoints: []string{"127.0.0.1:2379"}}); err != nil {
		log.Fatal(err)
	}
	defer registry.Close("main")

	g, err := registry.Call(ctx, lease.Grant, lease.On("main").WithTTL(10))
	if err != nil {
		log.Fatal(err)
	}
	ttl, err := registry.Call(ctx, lease.TimeToLive, lease.On("main").WithID(g.ID).WithKeys())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ttl.TTL, len(ttl.Keys))
}

// One Request type serves every call; each call takes the options it uses.
func ExampleRequest() {
	grant, _ := lease.TTL(10).WithTimeout(2 * time.Second).GrantRequest()
	ttl, _ := lease.ID(0x2a).WithKeys().TimeToLiveRequest()
	fmt.Println("grant TTL:", grant.TTL, "ID:", grant.ID)
	fmt.Println("time-to-live of", ttl.ID, "with keys:", ttl.Keys)
	// Output:
	// grant TTL: 10 ID: 0
	// time-to-live of 42 with keys: true
}

// Invalid requests are never sent: the error names the field.
func ExampleRequest_invalid() {
	for _, err := range []error{
		func() error { _, err := lease.TTL(0).GrantRequest(); return err }(),
		func() error { _, err := lease.New().RevokeRequest(); return err }(),
		func() error { _, err := lease.ID(7).WithTTL(5).RevokeRequest(); return err }(),
	} {
		var fe *kv.FieldError
		fmt.Println(errors.Is(err, kv.ErrInvalidRequest), errors.As(err, &fe) && fe.Field != "", err)
	}
	// Output:
	// true true lease: invalid grant request: ttl: must be positive, got 0
	// true true lease: invalid revoke request: id: required: the lease's ID
	// true true lease: invalid revoke request: ttl: not used by a revoke request
}
