package registry

import (
	"context"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// Get runs r on the connection r names (kv.On(name) or WithConn(name)).
func (r *Registry) Get(ctx context.Context, req kv.Request) (*conn.GetResponse, error) {
	c, err := r.Lookup(req.Conn())
	if err != nil {
		return nil, err
	}
	return c.Get(ctx, req)
}

// Put runs r on the connection r names.
func (r *Registry) Put(ctx context.Context, req kv.Request) (*conn.PutResponse, error) {
	c, err := r.Lookup(req.Conn())
	if err != nil {
		return nil, err
	}
	return c.Put(ctx, req)
}

// Delete runs r on the connection r names.
func (r *Registry) Delete(ctx context.Context, req kv.Request) (*conn.DeleteResponse, error) {
	c, err := r.Lookup(req.Conn())
	if err != nil {
		return nil, err
	}
	return c.Delete(ctx, req)
}

// Compact runs r on the connection r names.
func (r *Registry) Compact(ctx context.Context, req kv.Request) (*conn.CompactResponse, error) {
	c, err := r.Lookup(req.Conn())
	if err != nil {
		return nil, err
	}
	return c.Compact(ctx, req)
}

// Txn runs t on the connection t names (op.Txn.WithConn).
func (r *Registry) Txn(ctx context.Context, t op.Txn) (*conn.TxnResponse, error) {
	c, err := r.Lookup(t.Conn())
	if err != nil {
		return nil, err
	}
	return c.Txn(ctx, t)
}
