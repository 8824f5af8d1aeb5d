package registry

import (
	"context"

	"github.com/getcd/getcd/conn"
)

// Named is a request that carries the name of the connection it is meant to
// run on: kv.Request (kv.On, WithConn), op.Txn (WithConn) and the builders of
// getcd's other packages.
type Named interface{ Conn() string }

// Call runs any getcd call by name: it looks up the connection req names and
// runs call on it. Every package of getcd exposes its calls as functions of
// the shape func(ctx, *conn.Conn, req) (resp, error), so this one function
// runs all of them by name, and a new package needs nothing from the
// registry. With the lease package, for example:
//
//	l, err := registry.Call(ctx, lease.Grant, lease.TTL(10).On("main"))
//
// The key-value calls of *conn.Conn have their named forms as the
// registry's Get, Put, Delete, Compact and Txn, which work the same way.
func Call[R Named, O any](ctx context.Context, call func(context.Context, *conn.Conn, R) (O, error), req R) (O, error) {
	return CallIn(ctx, std, call, req)
}

// CallIn is Call on the registry r.
func CallIn[R Named, O any](ctx context.Context, r *Registry, call func(context.Context, *conn.Conn, R) (O, error), req R) (O, error) {
	c, err := r.Lookup(req.Conn())
	if err != nil {
		var zero O
		return zero, err
	}
	return call(ctx, c, req)
}
