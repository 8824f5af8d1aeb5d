package watch

import (
	"context"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/wire"
)

// Open starts a watch on c and returns once the server has created it, so
// that every change after Open returns is delivered (and, with
// WithStartRevision, every change from that revision on). The watch goes
// on the connection's shared watch stream, which Open opens if this is the
// first watch. ctx governs the watch's whole life: while the server cannot
// be reached Open waits, and when ctx ends, the watch ends with ctx's
// error.
//
// Open fails, with nothing sent, on an invalid request (*kv.FieldError,
// matching kv.ErrInvalidRequest), an ended ctx or a closed connection
// (matching conn.ErrClosed); it fails with an *Error when the server
// refuses the watch (permission denied, ErrIDInUse). A start revision that
// was compacted is not Open's error: the watch ends at once with an error
// matching conn.ErrCompacted. Open's shape lets registry.Call run it by the
// connection name the request carries:
//
//	w, err := registry.Call(ctx, watch.Open, watch.Prefix("config/").On("main"))
func Open(ctx context.Context, c *conn.Conn, r Request) (*Watcher, error) {
	tmpl, err := r.compile(wire.Alias)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	m, err := muxOf(x)
	if err != nil {
		return nil, err
	}
	g := m.group(r.RequiresLeader())
	w := newWatcher(g, tmpl, r)
	if err := m.submit(g, command{kind: cmdAdd, w: w}); err != nil {
		return nil, m.closedError()
	}
	w.watchContext(ctx)
	<-w.startc
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil && !w.created {
		return nil, w.err
	}
	return w, nil
}
