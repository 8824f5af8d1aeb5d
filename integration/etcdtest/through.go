package etcdtest

import (
	"context"
	"net"
	"testing"

	"github.com/getcd/getcd/conn"
)

// Through returns a Proxy in front of the server's one endpoint and a getcd
// connection through it, both closed when tb ends, for tests that break the
// link between a client and the server (Proxy.Cut, Blackhole, Drop).
// It skips tb when the server has several endpoints (an external cluster
// in ETCD_ENDPOINTS).
func (s *Server) Through(ctx context.Context, tb testing.TB) (*Proxy, *conn.Conn) {
	tb.Helper()
	eps := s.Endpoints()
	if len(eps) != 1 {
		tb.Skip("needs a single endpoint to put a proxy in front of")
	}
	p, err := NewProxy(eps[0])
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{p.Addr()}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return p, c
}

// DeadEndpoint returns a loopback address (host:port) where nothing
// listens: a port that was free a moment ago.
func DeadEndpoint(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
