package watch

import (
	"context"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/wire"
)

// Open starts a watch on c. It validates r, hands the watch to the
// connection's shared watch stream (opening it if this is the first watch)
// and returns at once, without waiting for the server: the server's answer
// (created, or an error such as a compacted start revision) comes through
// the Watcher. ctx governs the watch's whole life: when it ends, the watch
// ends with ctx's error.
//
// Open fails, with nothing sent, on an invalid request (*kv.FieldError,
// matching kv.ErrInvalidRequest), an ended ctx, or a closed connection
// (matching conn.ErrClosed). Its shape lets registry.Call run it by the
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
	return w, nil
}
