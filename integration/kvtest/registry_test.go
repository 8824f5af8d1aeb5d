package kvtest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

func TestRegistry(t *testing.T) {
	r := registry.New()
	t.Cleanup(func() { _ = r.CloseAll() })
	ctx := testCtx(t)
	cfg := conn.Config{Endpoints: shared.Endpoints()}
	if _, err := r.Open(ctx, "main", cfg); err != nil {
		t.Fatal(err)
	}
	_, err := r.Open(ctx, "main", cfg)
	if !errors.Is(err, registry.ErrAlreadyOpen) || !strings.Contains(err.Error(), `"main"`) {
		t.Errorf("second Open = %v, want ErrAlreadyOpen naming main", err)
	}

	// Requests that carry the connection name run by that name.
	k := prefix(t) + "k"
	if _, err := r.Put(ctx, kv.On("main").WithKey(k).WithValue("v")); err != nil {
		t.Fatal(err)
	}
	got, err := r.Get(ctx, kv.New().WithConn("main").WithKey(k))
	if err != nil || string(got.KVs[0].Value) != "v" {
		t.Fatalf("get by name: %v %+v", err, got)
	}
	tr, err := r.Txn(ctx, op.If(compare.Key(k).Value(compare.Equal, "v")).Then(op.Delete(kv.New().WithKey(k))).WithConn("main"))
	if err != nil || !tr.Succeeded || tr.Responses[0].Delete.Deleted != 1 {
		t.Fatalf("txn by name: %v %+v", err, tr)
	}
	_, err = r.Get(ctx, kv.On("nope").WithKey(k))
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown name = %v", err)
	}

	// Lookups from many goroutines while another name opens and closes.
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := r.Lookup("main"); err != nil || c == nil {
				t.Errorf("lookup: %v", err)
			}
		}()
	}
	if _, err := r.Open(ctx, "second", cfg); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if names := r.Names(); len(names) != 2 || names[0] != "main" || names[1] != "second" {
		t.Errorf("names = %v", names)
	}

	info := r.Info()
	if len(info) != 2 || info[0].Name != "main" || info[0].State != conn.StateActive || info[0].Endpoint != shared.Endpoints()[0] {
		t.Errorf("info = %+v", info)
	}
	table := info.String()
	if !strings.Contains(table, "| main ") || !strings.Contains(table, "active") || !strings.Contains(table, shared.Endpoints()[0]) {
		t.Errorf("info table:\n%s", table)
	}
	t.Logf("\n%s", table)

	if err := r.Close("second"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Lookup("second"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("lookup after close = %v", err)
	}
}

func TestRegistryInfoShowsFailures(t *testing.T) {
	r := registry.New()
	t.Cleanup(func() { _ = r.CloseAll() })
	// One live endpoint and one closed port: the connection opens, and the
	// dead endpoint is reported as failed with its error and next retry.
	eps := append(shared.Endpoints(), "127.0.0.1:1")
	if _, err := r.Open(testCtx(t), "mixed", conn.Config{Endpoints: eps}); err != nil {
		t.Fatal(err)
	}
	var dead conn.EndpointStatus
	for range 100 {
		for _, row := range r.Info() {
			if row.Endpoint == "127.0.0.1:1" {
				dead = row.EndpointStatus
			}
		}
		if dead.LastError != nil {
			break
		}
		sleepBriefly()
	}
	if dead.LastError == nil || dead.Failures == 0 || (dead.State != conn.StateFailed && dead.State != conn.StateReconnecting) {
		t.Fatalf("dead endpoint status = %+v", dead)
	}
	if dead.State == conn.StateFailed && dead.NextRetry.IsZero() {
		t.Errorf("failed endpoint without a next retry time: %+v", dead)
	}
	t.Logf("\n%s", r.Info())
}
