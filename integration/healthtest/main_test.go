// Package healthtest runs conn's leader-aware rotation and endpoint
// auto-sync against real etcd processes: a member cut off from its peers
// (by TCP proxies in front of the peer ports) while its client port stays
// up, learners added, started, promoted and removed on a three-member
// cluster, and a NOSPACE alarm on a server with a small quota.
package healthtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var etcdBin string

func TestMain(m *testing.M) { os.Exit(etcdtest.MainWithBinary(m, "healthtest", &etcdBin)) }

// testCtx is a context bounded well above any single step, so that a hung
// step fails the test instead of the whole run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// open connects with cfg and closes the connection when the test ends.
func open(t *testing.T, cfg conn.Config) *conn.Conn {
	t.Helper()
	c, err := conn.New(testCtx(t), cfg)
	if err != nil {
		t.Fatalf("conn.New(%v): %v", cfg.Endpoints, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// eventually polls cond every 5ms until it holds or ctx ends.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still false when the test's time ran out", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// statusOf returns the row of endpoint in c.Status().
func statusOf(c *conn.Conn, endpoint string) (conn.EndpointStatus, bool) {
	for _, st := range c.Status() {
		if st.Endpoint == endpoint {
			return st, true
		}
	}
	return conn.EndpointStatus{}, false
}
