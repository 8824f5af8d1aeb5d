// Package registry keeps named etcd connections, so that any part of a
// program can reach a cluster by name, as with eetcd's open/2 and the
// connection name carried by a request.
//
//	registry.Open(ctx, "main", conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
//	...
//	resp, err := registry.Get(ctx, kv.On("main").WithKey("config/").WithPrefix())
//	fmt.Print(registry.Info())
//
// # Running requests by name
//
// A request carries the name of its connection: [kv.On] or
// [kv.Request.WithConn] for key-value requests, [op.Txn.WithConn] for a
// transaction (one without a name of its own runs on the name its requests
// agree on), and the On or WithConn method of the builders of getcd's other
// packages. [Call] runs any call of any getcd package by name; Get, Put,
// Delete, Compact and Txn are its named forms of the key-value calls of
// [conn.Conn].
//
// # Registries
//
// The package functions Open, Add, Lookup, Close, CloseAll, Names, Info, Stats,
// Get, Put, Delete, Compact and Txn are the methods of the same names on a
// process-wide default registry, [Default], and Call is [CallIn] on it. [New]
// makes an independent registry (for tests, or to keep two sets of names
// apart).
//
// # Errors
//
// Errors about names match a sentinel with errors.Is and, inside a
// *[NameError], name the connection: opening a name twice fails with
// [ErrAlreadyOpen], an unknown name with [ErrNotFound], an empty name with
// [ErrEmptyName], adding something [conn.New] did not make with [ErrNoConn]. A
// request without a name fails with [ErrNoName] and says how to give it one;
// a transaction whose requests name different connections fails with
// [ErrConflictingNames]. The registry never sends a request it cannot place.
package registry
