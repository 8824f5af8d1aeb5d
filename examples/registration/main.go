// Registration shows service registration on leases: two instances of a
// service register themselves under a session each, and a client that polls
// the registry prefix sees them appear and disappear: at once when an
// instance stops cleanly (its session revokes the lease), and one TTL later
// when an instance dies without a word (its lease expires).
//
//	go run ./examples/registration
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/registry"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("registration", time.Minute, run)
}

// prefix is where instances of the "api" service register.
const prefix = "registration/services/api/"

// ttl is the lease TTL of each registration, in seconds: how long a dead
// instance stays listed.
const ttl = 2

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	reg := registry.New()
	defer reg.CloseAll()
	// One connection per instance, as two processes would have, and one
	// for the client that looks instances up.
	for _, name := range []string{"instance-a", "instance-b", "client"} {
		if _, err := reg.Open(ctx, name, conn.Config{Endpoints: endpoints}); err != nil {
			return err
		}
	}
	client, err := reg.Lookup("client")
	if err != nil {
		return err
	}
	_, _ = client.Delete(ctx, kv.New().WithKey(prefix).WithPrefix()) // start clean

	// 1. Each instance registers under a session: a lease kept alive on its
	// connection's keep-alive stream, with recovery should the lease be
	// lost. The session runs by connection name, like every getcd call.
	sessions := map[string]*lease.Session{}
	for _, name := range []string{"instance-a", "instance-b"} {
		s, err := registry.CallIn(ctx, reg, lease.NewSession, lease.On(name).WithTTL(ttl).WithRecovery())
		if err != nil {
			return err
		}
		defer s.Close()
		addr := map[string]string{"instance-a": "10.0.0.1:8080", "instance-b": "10.0.0.2:8080"}[name]
		if _, err := s.Register(ctx, prefix+name, addr); err != nil {
			return err
		}
		sessions[name] = s
		fmt.Fprintf(out, "%s registered %s under lease %x (TTL %ds)\n", name, addr, s.ID(), ttl)
	}

	// 2. The client polls the prefix and reports what it sees.
	if err := await(ctx, out, client, "instance-a", "instance-b"); err != nil {
		return err
	}

	// 3. Instance a stops cleanly: closing its session revokes the lease,
	// which deletes its registration at once.
	start := time.Now()
	if err := sessions["instance-a"].Close(); err != nil {
		return err
	}
	fmt.Fprintln(out, "instance-a stopped cleanly (session closed, lease revoked)")
	if err := await(ctx, out, client, "instance-b"); err != nil {
		return err
	}
	fmt.Fprintf(out, "  gone after %v, without waiting for the TTL\n", roundish(time.Since(start)))

	// 4. Instance b dies without a word: its connection goes away, nobody
	// revokes the lease, and the registration lasts until the lease
	// expires, one TTL after its last renewal.
	b, err := reg.Lookup("instance-b")
	if err != nil {
		return err
	}
	start = time.Now()
	_ = b.Close()
	<-sessions["instance-b"].Done()
	if err := sessions["instance-b"].Err(); !errors.Is(err, conn.ErrClosed) {
		return fmt.Errorf("instance-b's session ended with %v, want conn.ErrClosed", err)
	}
	fmt.Fprintln(out, "instance-b died: its connection is gone, its lease is no longer renewed")
	if err := await(ctx, out, client); err != nil {
		return err
	}
	fmt.Fprintf(out, "  gone after %v, when its lease expired\n", roundish(time.Since(start)))
	return nil
}

// await polls the registrations until exactly want are listed, printing
// each change it sees.
func await(ctx context.Context, out io.Writer, c *conn.Conn, want ...string) error {
	var last []string
	for first := true; ; first = false {
		resp, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithKeysOnly())
		if err != nil {
			return err
		}
		var names []string
		for _, k := range resp.KVs {
			names = append(names, strings.TrimPrefix(string(k.Key), prefix))
		}
		if first || !slices.Equal(names, last) {
			list := strings.Join(names, ", ")
			if list == "" {
				list = "none"
			}
			fmt.Fprintf(out, "client sees %d instance(s): %s\n", len(names), list)
			last = names
		}
		if slices.Equal(names, want) {
			return nil
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("waiting to see %v: %w", want, ctx.Err())
		}
	}
}

// roundish rounds a duration for printing: the run's timings vary.
func roundish(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
