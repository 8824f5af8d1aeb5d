package leasetest

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/lease"
)

// TestUnknownOutcome sends a grant and a revoke through a proxy that holds
// every byte: both reach an endpoint and never come back, so their fate is
// unknown and the errors say so. A time-to-live caught the same way is a
// read: its outcome is never unknown.
func TestUnknownOutcome(t *testing.T) {
	px := newHole(t, shared.Endpoints()[0])
	c, _ := open(t, []string{px.addr()})
	ctx := testCtx(t)
	g := grant(t, c, 30)

	px.hold.Store(true)
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	_, err := lease.Grant(short(), c, lease.TTL(5)) // if applied, it expires soon
	if !errors.Is(err, conn.ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Grant through a black hole: %v; want ErrUnknownOutcome and DeadlineExceeded", err)
	}
	_, err = lease.Revoke(short(), c, lease.ID(g.ID))
	if !errors.Is(err, conn.ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Revoke through a black hole: %v; want ErrUnknownOutcome and DeadlineExceeded", err)
	}
	_, err = lease.TimeToLive(short(), c, lease.ID(g.ID))
	if err == nil || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("TimeToLive through a black hole: %v; want an error, outcome known", err)
	}
	if px.held.Load() == 0 {
		t.Error("the proxy held no bytes: the calls never reached it")
	}
	px.hold.Store(false)
	px.reset()
	// Reads are retried on UNAVAILABLE, so this one waits out the reconnect.
	if _, err := lease.TimeToLive(ctx, c, lease.ID(g.ID)); err != nil && !errors.Is(err, conn.ErrLeaseNotFound) {
		t.Fatalf("TimeToLive after the proxy let go: %v", err)
	}
	_, _ = lease.Revoke(ctx, c, lease.ID(g.ID))
}

// hole is a TCP proxy in front of one endpoint that can hold (drop) every
// byte while hold is set, and reset every connection.
type hole struct {
	ln     net.Listener
	target string
	hold   atomic.Bool
	held   atomic.Int64
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newHole(t *testing.T, target string) *hole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hole{ln: ln, target: target, conns: map[net.Conn]bool{}}
	h.wg.Add(1)
	go h.accept()
	t.Cleanup(h.close)
	return h
}

func (h *hole) addr() string { return h.ln.Addr().String() }

func (h *hole) accept() {
	defer h.wg.Done()
	for {
		down, err := h.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", h.target)
		if err != nil {
			down.Close()
			continue
		}
		h.mu.Lock()
		h.conns[down], h.conns[up] = true, true
		h.mu.Unlock()
		h.wg.Add(2)
		go h.pipe(up, down)
		go h.pipe(down, up)
	}
}

func (h *hole) pipe(dst, src net.Conn) {
	defer h.wg.Done()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if h.hold.Load() {
				h.held.Add(int64(n))
			} else if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			return
		}
	}
}

func (h *hole) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		c.Close()
		delete(h.conns, c)
	}
}

func (h *hole) close() {
	h.ln.Close()
	h.reset()
	h.wg.Wait()
}
