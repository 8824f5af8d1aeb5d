// Package kv (imported from github.com/getcd/getcd/ctx) is getcd's fluent,
// immutable builder for etcd key-value requests, in the style of the Erlang
// client eetcd's context maps.
//
// The folder is ctx/ after eetcd, but the package is named kv so that code
// with a ctx context.Context parameter uses it without an import alias:
//
//	import kv "github.com/getcd/getcd/ctx" // the alias is optional
//
//	func list(ctx context.Context, c *conn.Conn) error {
//		req := kv.New().WithKey("config/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend)
//		resp, err := c.Get(ctx, req)
//		...
//	}
//
// A Request is a small value. Every With method returns a modified copy and
// leaves the receiver alone, so a base request may be shared by many
// goroutines and extended by each. The chain itself allocates nothing.
//
// A Request compiles to one of four etcd messages: RangeRequest (a get),
// PutRequest, DeleteRequest and CompactRequest. Each compile validates that
// every option given is used by that kind of request and that the values are
// ones etcd accepts; otherwise it returns a *FieldError that matches
// ErrInvalidRequest and names the field. Options that say which keys a
// request covers (WithPrefix, WithFromKey, WithRangeEnd, WithAll) record
// intent and are resolved at compile time, so their order with WithKey does
// not matter.
//
// eetcd's option names map one to one: with_key is WithKey, with_rev is
// WithRev, with_top is WithTop, with_first_create is WithFirstCreate, and so
// on; new(Name) is On(name).
package kv
