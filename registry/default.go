package registry

import (
	"context"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

var std = New()

// Default returns the process-wide registry the package functions use. Each
// package function is the method of the same name on it.
func Default() *Registry { return std }

// Open opens a connection in the default registry.
func Open(ctx context.Context, name string, cfg conn.Config) (*conn.Conn, error) {
	return std.Open(ctx, name, cfg)
}

// Add registers a connection opened elsewhere in the default registry.
func Add(name string, c *conn.Conn) error { return std.Add(name, c) }

// Lookup finds a connection in the default registry.
func Lookup(name string) (*conn.Conn, error) { return std.Lookup(name) }

// Close closes a connection of the default registry.
func Close(name string) error { return std.Close(name) }

// CloseAll closes every connection of the default registry.
func CloseAll() error { return std.CloseAll() }

// Names lists the default registry's names.
func Names() []string { return std.Names() }

// Info returns the default registry's endpoint table.
func Info() Table { return std.Info() }

// Stats returns the default registry's coalescing counts per connection.
func Stats() []ConnStats { return std.Stats() }

// Get runs a range request on the connection it names, in the default registry.
func Get(ctx context.Context, req kv.Request) (*conn.GetResponse, error) { return std.Get(ctx, req) }

// Put runs a put on the connection it names, in the default registry.
func Put(ctx context.Context, req kv.Request) (*conn.PutResponse, error) { return std.Put(ctx, req) }

// Delete runs a delete on the connection it names, in the default registry.
func Delete(ctx context.Context, req kv.Request) (*conn.DeleteResponse, error) {
	return std.Delete(ctx, req)
}

// Compact runs a compaction on the connection it names, in the default registry.
func Compact(ctx context.Context, req kv.Request) (*conn.CompactResponse, error) {
	return std.Compact(ctx, req)
}

// Txn runs a transaction on the connection it names, in the default registry.
func Txn(ctx context.Context, t op.Txn) (*conn.TxnResponse, error) { return std.Txn(ctx, t) }
