// Package coalescetest runs getcd's coalescing of concurrent requests
// (conn.Config.Coalescing) against a real etcd process shared by the
// package: the answers each request gets in a batch, the answers requests
// get when their batch fails, the linearizability of a coalesced history
// under the race detector, and the counts the connection reports. TestMain
// fails the run if any goroutine outlives the tests.
package coalescetest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var shared *etcdtest.Server

func TestMain(m *testing.M) {
	var bin string
	os.Exit(etcdtest.MainWithProcess(m, "coalescetest", &bin, &shared))
}

// open connects to the shared server with cfg's coalescing and closes the
// connection when the test ends.
func open(t *testing.T, co conn.Coalescing) *conn.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(), Coalescing: co})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
