// Package kvtest runs getcd's conn and registry against a real etcd: one
// embedded server shared by the package (or the cluster in ETCD_ENDPOINTS),
// plus dedicated servers for auth and TLS.
package kvtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var shared *etcdtest.Server

func TestMain(m *testing.M) {
	s, stop, err := etcdtest.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kvtest: starting etcd:", err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "kvtest: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// open connects to s (the shared server when nil) and closes the connection
// when the test ends.
func open(t *testing.T, s *etcdtest.Server, cfg conn.Config) *conn.Conn {
	t.Helper()
	if s == nil {
		s = shared
	}
	if cfg.Endpoints == nil {
		cfg.Endpoints = s.Endpoints()
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// prefix gives each test its own key space on the shared server, new for
// each run and each round of -count, so that no test sees keys an earlier
// run left behind.
func prefix(t *testing.T) string {
	return "kvtest/" + etcdtest.KeyPrefix(t)
}

// sleepBriefly waits a little while polling for a state change.
func sleepBriefly() { time.Sleep(20 * time.Millisecond) }
