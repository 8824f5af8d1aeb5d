// Package admintest runs getcd's administration packages (maintenance,
// membership, rbac) against real etcd servers: an embedded server shared by
// the package, dedicated ones for tests that change cluster-wide state
// (alarms, downgrades, auth, snapshots), and a three-member process cluster
// for membership changes and leader moves.
package admintest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var (
	shared  *etcdtest.Server
	etcdBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "getcd-admintest-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "admintest:", err)
		os.Exit(1)
	}
	if etcdBin, err = etcdtest.BuildEtcd(dir); err != nil {
		fmt.Fprintln(os.Stderr, "admintest: build etcd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	s, stop, err := etcdtest.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "admintest: starting etcd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "admintest: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// open connects to eps (the shared server's when nil) and closes the
// connection when the test ends.
func open(t *testing.T, cfg conn.Config) *conn.Conn {
	t.Helper()
	if cfg.Endpoints == nil {
		cfg.Endpoints = shared.Endpoints()
	}
	c, err := conn.New(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("conn.New(%v): %v", cfg.Endpoints, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx is a context bounded well above any single call, so that a hung
// call fails the test instead of the whole run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// prefix gives each test its own key space on the shared server, new for
// each run and each round of -count, so that no test sees keys an earlier
// run left behind.
func prefix(t *testing.T) string {
	return "admintest/" + etcdtest.KeyPrefix(t)
}

// rpcCounter is a gRPC stats handler that counts the RPCs begun and ended
// per method and the transports opened, on every connection it is given
// to (a per-endpoint connection inherits the parent's dial options).
type rpcCounter struct {
	mu     sync.Mutex
	begun  map[string]int
	ended  map[string]int
	transp atomic.Int32
}

func newCounter() *rpcCounter {
	return &rpcCounter{begun: map[string]int{}, ended: map[string]int{}}
}

type methodKey struct{}

func (h *rpcCounter) option() grpc.DialOption { return grpc.WithStatsHandler(h) }

func (h *rpcCounter) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (h *rpcCounter) HandleRPC(ctx context.Context, s stats.RPCStats) {
	m, _ := ctx.Value(methodKey{}).(string)
	switch s.(type) {
	case *stats.Begin:
		h.mu.Lock()
		h.begun[m]++
		h.mu.Unlock()
	case *stats.End:
		h.mu.Lock()
		h.ended[m]++
		h.mu.Unlock()
	}
}

func (h *rpcCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (h *rpcCounter) HandleConn(_ context.Context, s stats.ConnStats) {
	if _, ok := s.(*stats.ConnBegin); ok {
		h.transp.Add(1)
	}
}

// count returns the RPCs begun and ended for method, or for every method
// when method is "".
func (h *rpcCounter) count(method string) (begun, ended int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if method != "" {
		return h.begun[method], h.ended[method]
	}
	for _, n := range h.begun {
		begun += n
	}
	for _, n := range h.ended {
		ended += n
	}
	return begun, ended
}

// eventually polls cond until it holds or the test's context ends.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still false when the test's time ran out", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
