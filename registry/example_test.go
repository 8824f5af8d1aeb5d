package registry_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/registry"
)

// Open a connection under a name once, then reach it by name from anywhere.
// (Not run: it needs a cluster.)
func Example() {
	ctx := context.Background()
	if _, err := registry.Open(ctx, "config-store", conn.Config{Endpoints: []string{"127.0.0.1:2379"}}); err != nil {
		fmt.Println(err)
		return
	}
	defer registry.Close("config-store")

	// Elsewhere: the request names its connection.
	resp, err := registry.Get(ctx, kv.On("config-store").WithKey("config/").WithPrefix())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Count, "keys")
	fmt.Print(registry.Info())
}

// Unknown names and requests without a name fail clearly, before anything
// is sent.
func ExampleRegistry_Lookup() {
	r := registry.New()
	_, err := r.Lookup("orders")
	fmt.Println(err, errors.Is(err, registry.ErrNotFound))
	_, err = r.Get(context.Background(), kv.New().WithKey("k"))
	fmt.Println(errors.Is(err, registry.ErrNoName))
	// Output:
	// registry: no connection with that name: "orders" true
	// true
}
