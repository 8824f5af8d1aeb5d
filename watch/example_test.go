package watch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/watch"
)

// A request compiles to etcd's create request; the range end is computed
// from the options, whatever their order.
func ExampleRequest_CreateRequest() {
	m, err := watch.New().WithPrevKV().WithPrefix().WithKey("svc/").WithFilterDelete().CreateRequest()
	if err != nil {
		panic(err)
	}
	fmt.Printf("key=%q range_end=%q prev_kv=%v filters=%v\n", m.Key, m.RangeEnd, m.PrevKv, m.Filters)
	// Output: key="svc/" range_end="svc0" prev_kv=true filters=[NODELETE]
}

// An invalid request names the field at fault; nothing is sent.
func ExampleRequest_CreateRequest_invalid() {
	_, err := watch.Key("a").WithFilterPut().WithFilterDelete().CreateRequest()
	var fe *kv.FieldError
	fmt.Println(errors.Is(err, kv.ErrInvalidRequest), errors.As(err, &fe) && fe.Field == "filters")
	fmt.Println(err)
	// Output:
	// true true
	// watch: invalid watch request: filters: WithFilterPut and WithFilterDelete together drop every event
}

// Watch a prefix and print each change with its previous value. The loop
// ends with the reason the watch ended.
func ExampleOpen() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		return
	}
	defer c.Close()
	w, err := watch.Open(ctx, c, watch.Prefix("config/").WithPrevKV())
	if err != nil {
		return
	}
	defer w.Close()
	for ev, err := range w.Events() {
		if err != nil {
			fmt.Println("watch ended:", err)
			return
		}
		if ev.PrevKV != nil {
			fmt.Printf("%s %s: %s -> %s\n", ev.Type, ev.KV.Key, ev.PrevKV.Value, ev.KV.Value)
		} else {
			fmt.Printf("%s %s: %s\n", ev.Type, ev.KV.Key, ev.KV.Value)
		}
	}
}

// Carry on after a compaction or any other end from the revision the
// error names.
func ExampleError() {
	var werr error // the final error of a watch
	var e *watch.Error
	if errors.As(werr, &e) && errors.Is(werr, conn.ErrCompacted) {
		fmt.Printf("history before %d is gone; re-read the keys, then watch from there\n", e.CompactRevision)
	}
}

// Open a watch by the connection's name.
func ExampleOpen_byName() {
	ctx := context.Background()
	w, err := registry.Call(ctx, watch.Open, watch.Prefix("config/").On("main"))
	if err != nil {
		return
	}
	defer w.Close()
}

// Keep a local copy of every instance of a service and print the changes.
func ExampleOpenMirror() {
	ctx := context.Background()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		return
	}
	defer c.Close()
	m, err := watch.OpenMirror(ctx, c, watch.Prefix("services/api/"))
	if err != nil {
		return
	}
	defer m.Close()
	for u, err := range m.Changes() {
		if err != nil {
			return
		}
		fmt.Printf("%s at revision %d: %d changes, %d instances\n", u.Kind, u.Revision, len(u.Events), m.Len())
	}
}
