// Package registry keeps named etcd connections, so that any part of a
// program can reach a cluster by name, as with eetcd's open/2 and the
// connection name carried by a request.
//
//	registry.Open(ctx, "main", conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
//	...
//	resp, err := registry.Get(ctx, kv.On("main").WithKey("config/").WithPrefix())
//	fmt.Print(registry.Info())
//
// The package functions use a process-wide default registry; New makes an
// independent one (for tests, or to keep two sets of names apart). Opening a
// name twice fails with ErrAlreadyOpen, using an unknown name with
// ErrNotFound, and both errors name the connection.
package registry
