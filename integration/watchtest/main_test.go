// Package watchtest runs getcd's watch package against real etcd servers:
// a shared embedded server for most tests, process servers that are
// restarted on the same data directory and ports, and a three-member
// process cluster whose members are killed under load.
package watchtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/etcdserver/api/v3rpc"
	"go.uber.org/goleak"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var (
	shared  *etcdtest.Server
	etcdBin string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "getcd-watchtest-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "watchtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if etcdBin, err = etcdtest.BuildEtcd(dir); err != nil {
		fmt.Fprintln(os.Stderr, "watchtest: build etcd:", err)
		return 1
	}
	// Embedded servers send progress notifications every 300ms instead of
	// every 10 minutes, so that WithProgressNotify can be tested. Only
	// watches that ask for them get them.
	v3rpc.SetProgressReportInterval(300 * time.Millisecond)
	s, stop, err := etcdtest.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "watchtest: starting etcd:", err)
		return 1
	}
	shared = s
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "watchtest: leaked goroutines:", err)
			code = 1
		}
	}
	return code
}

// open connects to endpoints (the shared server's when nil) and closes the
// connection when the test ends.
func open(t testing.TB, endpoints []string, cfg conn.Config) *conn.Conn {
	t.Helper()
	if endpoints == nil {
		endpoints = shared.Endpoints()
	}
	cfg.Endpoints = endpoints
	c, err := conn.New(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("conn.New(%v): %v", cfg.Endpoints, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx is a context bounded well above what any test needs, so that a
// hung watch fails the test instead of the whole run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// prefix gives each test its own key space on the shared server, one no
// earlier run has written to.
func prefix(t testing.TB) string { return etcdtest.KeyPrefix(t) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
