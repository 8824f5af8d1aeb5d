package registry

import (
	"context"
	"fmt"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/op"
)

// Named is a request that carries the name of the connection it is meant to
// run on: [kv.Request] ([kv.On], [kv.Request.WithConn]), [op.Txn]
// ([op.Txn.WithConn], or the name its requests agree on) and the builders
// of getcd's other packages.
type Named interface{ Conn() string }

// Call runs any getcd call by name: it looks up the connection req names and
// runs call on it. Every package of getcd exposes its calls as functions of
// the shape func(ctx, *conn.Conn, req) (resp, error), so this one function
// runs all of them by name, and a new package needs nothing from the
// registry. With the lease package, for example:
//
//	l, err := registry.Call(ctx, lease.Grant, lease.TTL(10).WithConn("main"))
//
// The key-value calls of [conn.Conn] have their named forms as the
// registry's Get, Put, Delete, Compact and Txn, which work the same way.
func Call[R Named, O any](ctx context.Context, call func(context.Context, *conn.Conn, R) (O, error), req R) (O, error) {
	return CallIn(ctx, std, call, req)
}

// CallIn is Call on the registry r. A nil call fails with a *kv.FieldError
// matching kv.ErrInvalidRequest, and nothing is looked up or sent.
func CallIn[R Named, O any](ctx context.Context, r *Registry, call func(context.Context, *conn.Conn, R) (O, error), req R) (O, error) {
	if call == nil {
		var zero O
		return zero, errs.Field("registry", "call", "call", "must not be nil: give the function to run, e.g. lease.Grant")
	}
	c, err := r.lookupFor(req)
	if err != nil {
		var zero O
		return zero, err
	}
	return call(ctx, c, req)
}

// lookupFor finds the connection req names. A request without a name fails
// with ErrNoName and a hint on how to give it one; a transaction whose
// requests name different connections fails with ErrConflictingNames.
func (r *Registry) lookupFor(req Named) (*conn.Conn, error) {
	if name := req.Conn(); name != "" {
		return r.Lookup(name)
	}
	switch req := any(req).(type) {
	case op.Txn:
		if names := req.RequestConns(); len(names) > 1 {
			return nil, fmt.Errorf("%w: %q; name the transaction with op.Txn.WithConn(name)", ErrConflictingNames, names)
		}
		return nil, fmt.Errorf("%w; name the transaction with op.Txn.WithConn(name), or build its requests with kv.On(name)", ErrNoName)
	case kv.Request:
		return nil, fmt.Errorf("%w; build the request with kv.On(name) or WithConn(name)", ErrNoName)
	}
	return nil, fmt.Errorf("%w; give the request a connection name (On or WithConn)", ErrNoName)
}
