// Package electiontest runs getcd's election package against real etcd
// servers: a shared etcd process for most tests, a three-member process
// cluster for member failures, with the official client's
// concurrency.Election and etcd's server-side Election service as the
// other candidates and observers. TestMain fails the run if any goroutine
// outlives the tests.
package electiontest

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

var (
	etcdBin string           // built by TestMain
	shared  *etcdtest.Server // one etcd process for the tests that do not stop it
)

func TestMain(m *testing.M) {
	os.Exit(etcdtest.MainWithProcess(m, "electiontest", &etcdBin, &shared))
}

// testCtx is a context for one test's calls, ended with the test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// counter counts the RPCs a connection begins.
type counter struct{ calls atomic.Int64 }

func (c *counter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (c *counter) HandleRPC(_ context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.Begin); ok {
		c.calls.Add(1)
	}
}
func (c *counter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *counter) HandleConn(context.Context, stats.ConnStats)                       {}

// open connects to endpoints (the shared server's when nil) and closes
// the connection when the test ends.
func open(t *testing.T, endpoints []string) (*conn.Conn, *counter) {
	t.Helper()
	if endpoints == nil {
		endpoints = shared.Endpoints()
	}
	n := &counter{}
	c, err := conn.New(testCtx(t), conn.Config{Endpoints: endpoints, DialOptions: []grpc.DialOption{grpc.WithStatsHandler(n)}})
	if err != nil {
		t.Fatalf("conn.New(%v): %v", endpoints, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, n
}

// session starts a session of ttl seconds on c, closed when the test ends.
func session(t *testing.T, c *conn.Conn, ttl int64) *lease.Session {
	t.Helper()
	s, err := lease.NewSession(testCtx(t), c, lease.TTL(ttl))
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// official connects the official client to the shared server.
func official(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: shared.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// officialSession is a session of the official client.
func officialSession(t *testing.T, cli *clientv3.Client, ttl int) *concurrency.Session {
	t.Helper()
	s, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// name is an election name unique to the test.
func name(t *testing.T) string { return "electiontest/" + etcdtest.KeyPrefix(t) + "e" }

// noLeaks returns a check that every goroutine started after this call has
// ended. Take it before opening the test's connections and run it after
// closing them.
func noLeaks(t *testing.T) func() {
	ignore := goleak.IgnoreCurrent()
	return func() {
		t.Helper()
		// A restarted member of a process cluster has a new waiter.
		goleak.VerifyNone(t, ignore, goleak.IgnoreTopFunction("syscall.Syscall6"),
			goleak.IgnoreAnyFunction("github.com/getcd/getcd/integration/etcdtest.(*Member).start.func1"))
	}
}

// observed collects what an Observe loop yields, in a goroutine, until
// stop is called.
type observed struct {
	ch     chan election.LeaderInfo
	errc   chan error
	cancel context.CancelFunc
	done   chan struct{}
}

func observe(t *testing.T, seq func(context.Context) (func(func(election.LeaderInfo, error) bool), error)) *observed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	it, err := seq(ctx)
	if err != nil {
		cancel()
		t.Fatalf("observe: %v", err)
	}
	o := &observed{ch: make(chan election.LeaderInfo, 1000), errc: make(chan error, 1), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(o.done)
		for li, err := range it {
			if err != nil {
				o.errc <- err
				return
			}
			o.ch <- li
		}
	}()
	t.Cleanup(o.stop)
	return o
}

func (o *observed) stop() {
	o.cancel()
	<-o.done
}

// next waits for the next leader observed.
func (o *observed) next(t *testing.T) election.LeaderInfo {
	t.Helper()
	select {
	case li := <-o.ch:
		return li
	case err := <-o.errc:
		t.Fatalf("observe ended: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("observed nothing for a minute")
	}
	return election.LeaderInfo{}
}

// none checks that nothing more was observed within d.
func (o *observed) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case li := <-o.ch:
		t.Fatalf("observed %s=%q (create %d) at %d, want nothing", li.KV.Key, li.KV.Value, li.KV.CreateRevision, li.Header.Revision)
	case err := <-o.errc:
		t.Fatalf("observe ended: %v", err)
	case <-time.After(d):
	}
}

func clientObserve(c *conn.Conn, r election.Request) func(context.Context) (func(func(election.LeaderInfo, error) bool), error) {
	return func(ctx context.Context) (func(func(election.LeaderInfo, error) bool), error) {
		return election.Observe(ctx, c, r)
	}
}

func serverObserve(c *conn.Conn, r election.Request) func(context.Context) (func(func(election.LeaderInfo, error) bool), error) {
	return func(ctx context.Context) (func(func(election.LeaderInfo, error) bool), error) {
		return election.ServerObserve(ctx, c, r)
	}
}

// waitFor polls cond until it holds, for at most a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
