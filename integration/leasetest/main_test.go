// Package leasetest runs getcd's lease package against real etcd servers:
// a shared etcd process for the calls and keep-alives, single-member and
// three-member process clusters for restarts and outages. TestMain fails
// the run if any goroutine outlives the tests.
package leasetest

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

var (
	etcdBin string           // built by TestMain
	shared  *etcdtest.Server // one etcd process for the tests that do not stop it
)

func TestMain(m *testing.M) {
	os.Exit(etcdtest.MainWithProcess(m, "leasetest", &etcdBin, &shared))
}

// testCtx is a context for one test's calls, ended with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// counter counts the RPCs a connection starts, by method, through a gRPC
// stats handler: the streams the lease package opens are counted here, not
// taken from its word.
type counter struct {
	keepAlive   atomic.Int64 // keep-alive streams begun
	keepAliveUp atomic.Int64 // keep-alive streams not yet ended
	renewals    atomic.Int64 // keep-alive answers received
	timeToLive  atomic.Int64 // time-to-live calls begun
	calls       atomic.Int64 // RPCs of any kind begun
}

type methodKey struct{}

func (c *counter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (c *counter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	isKA := ctx.Value(methodKey{}) == lease.MethodKeepAlive
	switch s := s.(type) {
	case *stats.Begin:
		c.calls.Add(1)
		if ctx.Value(methodKey{}) == lease.MethodTimeToLive {
			c.timeToLive.Add(1)
		}
		if isKA {
			c.keepAlive.Add(1)
			c.keepAliveUp.Add(1)
		}
	case *stats.End:
		if isKA {
			c.keepAliveUp.Add(-1)
		}
	case *stats.InPayload:
		if isKA && s.Client {
			c.renewals.Add(1)
		}
	}
}

func (c *counter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *counter) HandleConn(context.Context, stats.ConnStats)                       {}

// open connects to endpoints (the shared server's when nil) with a counter
// on every RPC, and closes the connection when the test ends.
func open(t *testing.T, endpoints []string) (*conn.Conn, *counter) {
	t.Helper()
	if endpoints == nil {
		endpoints = shared.Endpoints()
	}
	n := &counter{}
	c, err := conn.New(testCtx(t), conn.Config{
		Endpoints:   endpoints,
		DialOptions: []grpc.DialOption{grpc.WithStatsHandler(n)},
	})
	if err != nil {
		t.Fatalf("conn.New(%v): %v", endpoints, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, n
}

// prefix returns a key prefix unique to the test.
func prefix(t *testing.T) string { return "leasetest/" + etcdtest.KeyPrefix(t) }

// grant grants a lease of ttl seconds or fails the test.
func grant(t *testing.T, c *conn.Conn, ttl int64) *lease.GrantResponse {
	t.Helper()
	g, err := lease.Grant(testCtx(t), c, lease.TTL(ttl))
	if err != nil {
		t.Fatalf("Grant(%d): %v", ttl, err)
	}
	return g
}

// noLeaks returns a check that every goroutine started after this call has
// ended. Take it before opening the test's connections and run it after
// closing them.
func noLeaks(t *testing.T) func() {
	ignore := goleak.IgnoreCurrent()
	return func() {
		t.Helper()
		goleak.VerifyNone(t, ignore)
	}
}

// leaseGoroutines counts the goroutines running code of the lease package.
func leaseGoroutines() int { return etcdtest.CountGoroutines("github.com/getcd/getcd/lease.") }
