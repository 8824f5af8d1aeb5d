// Package stmtest runs getcd's STM (package stm) against a real etcd: one
// embedded server shared by the package (or the cluster in
// ETCD_ENDPOINTS). It checks the isolation levels' guarantees under
// contention (bank transfers, write skew, a porcupine-checked counter),
// the safety rules (bounded attempts, panics, errors, cancellation, unknown
// outcomes), and compares the results with the official client's
// concurrency.STM on the same workload.
package stmtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

var shared *etcdtest.Server

func TestMain(m *testing.M) {
	s, stop, err := etcdtest.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stmtest: starting etcd:", err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "stmtest: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// open connects to the shared server (or to endpoints, when given) and
// closes the connection when the test ends.
func open(t testing.TB, endpoints ...string) *conn.Conn {
	t.Helper()
	if endpoints == nil {
		endpoints = shared.Endpoints()
	}
	c, err := conn.New(context.Background(), conn.Config{Endpoints: endpoints})
	if err != nil {
		t.Fatalf("conn.New(%v): %v", endpoints, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx bounds a test well above anything it does, so that a hang fails
// the test instead of the run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// prefix gives each test its own key space on the shared server, new for
// each run and each round of -count, so that no test sees keys an earlier
// run left behind.
func prefix(t testing.TB) string {
	return "stmtest/" + etcdtest.KeyPrefix(t)
}

// soak says whether long runs were asked for (GETCD_SOAK=1).
func soak() bool { return os.Getenv("GETCD_SOAK") != "" }

func put(t testing.TB, c *conn.Conn, key, value string) int64 {
	t.Helper()
	resp, err := c.Put(context.Background(), kv.New().WithKey(key).WithValue(value))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

// value returns the value of key, and whether it exists.
func value(t testing.TB, c *conn.Conn, key string) (string, bool) {
	t.Helper()
	resp, err := c.Get(context.Background(), kv.New().WithKey(key))
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.KVs) == 0 {
		return "", false
	}
	return string(resp.KVs[0].Value), true
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("value %q is not a number", s)
	}
	return n
}
