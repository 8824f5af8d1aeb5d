// Package locktest runs getcd's lock package against a real etcd: one
// etcd process shared by the package (or the cluster in ETCD_ENDPOINTS). It
// is a separate process, not an embedded server: etcd's Lock service runs
// an in-process client whose lease keep-alive goroutines outlive an
// embedded server's Close, and the goroutine check would blame them on the
// tests.
//
// It checks mutual exclusion with fencing under contention, that fencing is
// what prevents a lost update when a holder's lease goes behind its back
// (revoked, or expired by its TTL while a proxy cuts the holder off),
// fairness, the cleanup of waiters, the report of a lost lock,
// interoperability with clientv3's concurrency.Mutex and etcd's Lock
// service, and the Lock service's messages byte for byte against etcd's
// generated types. TestMain fails the run if any goroutine outlives the
// tests.
package locktest

import (
	"context"
	"os"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

var shared *etcdtest.Server

func TestMain(m *testing.M) {
	var bin string
	os.Exit(etcdtest.MainWithProcess(m, "locktest", &bin, &shared))
}

// open connects to the shared server and closes the connection when the
// test ends.
func open(t testing.TB) *conn.Conn {
	t.Helper()
	c, err := conn.New(context.Background(), conn.Config{Endpoints: shared.Endpoints()})
	if err != nil {
		t.Fatalf("conn.New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// session starts a session of ttl seconds on c, closed when the test ends.
func session(t testing.TB, c *conn.Conn, ttl int64) *lease.Session {
	t.Helper()
	s, err := lease.NewSession(context.Background(), c, lease.TTL(ttl))
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// official opens a clientv3 client on the shared server.
func official(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: shared.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// testCtx bounds a test well above anything it does, so that a hang fails
// the test instead of the run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// name gives each test its own lock name on the shared server, new for each
// run and each round of -count.
func name(t testing.TB, what string) string {
	return "locktest/" + etcdtest.KeyPrefix(t) + what
}

// keys returns the keys under the lock name, in create order.
func keys(t testing.TB, c *conn.Conn, lockName string) []string {
	t.Helper()
	resp, err := c.Get(context.Background(), kv.New().WithKey(lockName+"/").WithPrefix().WithSort(kv.SortByCreate, kv.SortAscend).WithKeysOnly())
	if err != nil {
		t.Fatalf("get %s/: %v", lockName, err)
	}
	out := make([]string, len(resp.KVs))
	for i, item := range resp.KVs {
		out[i] = string(item.Key)
	}
	return out
}

// waitKeys polls until the lock name has n keys: a waiter has queued. The
// bound is the test's context, not a timing threshold.
func waitKeys(ctx context.Context, t testing.TB, c *conn.Conn, lockName string, n int) []string {
	t.Helper()
	for {
		ks := keys(t, c, lockName)
		if len(ks) == n {
			return ks
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d keys under %s: have %q", n, lockName, ks)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
