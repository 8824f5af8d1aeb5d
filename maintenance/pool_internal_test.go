package maintenance

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// The per-endpoint pool's bookkeeping, with connx.Dial answering without a
// server (no call goes through these connections): a connection shared by
// two calls stays while either uses it, closes once unused for idleClose,
// and the next call opens a new one; releasing twice counts once; Close
// stops the timers.
func TestPoolIdleClose(t *testing.T) {
	saved, savedIdle := connx.DialHook, idleClose
	t.Cleanup(func() { connx.DialHook, idleClose = saved, savedIdle })
	var dials atomic.Int32
	connx.DialHook = func(context.Context, *conn.Conn, string) (*conn.Conn, error) {
		dials.Add(1)
		return new(conn.Conn), nil
	}
	idleClose = 20 * time.Millisecond
	p := &pool{conns: map[string]*dial{}}
	ctx := context.Background()
	in := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		_, ok := p.conns["a:1"]
		return ok
	}

	c1, rel1, err := p.get(ctx, nil, "a:1", "a:1")
	if err != nil {
		t.Fatal(err)
	}
	c2, rel2, err := p.get(ctx, nil, "a:1", "a:1")
	if err != nil || c2 != c1 || dials.Load() != 1 {
		t.Fatalf("second call: %p, %v, %d dials; want the first's connection, one dial", c2, err, dials.Load())
	}
	rel1()
	rel1() // counts once
	time.Sleep(10 * idleClose)
	if !in() {
		t.Fatal("closed while a call still used it")
	}
	rel2()
	deadline := time.Now().Add(10 * time.Second)
	for in() {
		if time.Now().After(deadline) {
			t.Fatal("still open long after its last call ended")
		}
		time.Sleep(idleClose)
	}
	c3, rel3, err := p.get(ctx, nil, "a:1", "a:1")
	if err != nil || c3 == c1 || dials.Load() != 2 {
		t.Fatalf("after the idle close: %p, %v, %d dials; want a new connection", c3, err, dials.Load())
	}
	rel3()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * idleClose) // a timer that fired after Close finds the pool closed
	if _, _, err := p.get(ctx, nil, "a:1", "a:1"); err != errPoolClosed {
		t.Errorf("get after Close: %v, want errPoolClosed", err)
	}
}
