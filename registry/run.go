package registry

import (
	"context"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// Get runs the range request req on the connection req names ([kv.On] or
// [kv.Request.WithConn]).
func (r *Registry) Get(ctx context.Context, req kv.Request) (*conn.GetResponse, error) {
	c, err := r.lookupFor(req)
	if err != nil {
		return nil, err
	}
	return c.Get(ctx, req)
}

// Put runs the put req on the connection req names.
func (r *Registry) Put(ctx context.Context, req kv.Request) (*conn.PutResponse, error) {
	c, err := r.lookupFor(req)
	if err != nil {
		return nil, err
	}
	return c.Put(ctx, req)
}

// Delete runs the delete req on the connection req names.
func (r *Registry) Delete(ctx context.Context, req kv.Request) (*conn.DeleteResponse, error) {
	c, err := r.lookupFor(req)
	if err != nil {
		return nil, err
	}
	return c.Delete(ctx, req)
}

// Compact runs the compaction req on the connection req names.
func (r *Registry) Compact(ctx context.Context, req kv.Request) (*conn.CompactResponse, error) {
	c, err := r.lookupFor(req)
	if err != nil {
		return nil, err
	}
	return c.Compact(ctx, req)
}

// Txn runs the transaction t on the connection t names: the one given with
// [op.Txn.WithConn] or, without one, the one its requests agree on.
func (r *Registry) Txn(ctx context.Context, t op.Txn) (*conn.TxnResponse, error) {
	c, err := r.lookupFor(t)
	if err != nil {
		return nil, err
	}
	return c.Txn(ctx, t)
}
