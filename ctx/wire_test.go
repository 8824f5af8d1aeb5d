package kv_test

import (
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/wire"
)

// The no-copy compilers packages kv installs for the connection (see
// internal/wire).
var (
	rangeWire  = wire.Range.(func(kv.Request, wire.Mode) (*pb.RangeRequest, error))
	putWire    = wire.Put.(func(kv.Request, wire.Mode) (*pb.PutRequest, error))
	deleteWire = wire.Delete.(func(kv.Request, wire.Mode) (*pb.DeleteRangeRequest, error))
)

// The no-copy compiles used by the connection must build exactly the
// messages the public compiles build, sharing the strings' bytes.
func TestWireMatchesCompile(t *testing.T) {
	key, value := "wire/key", "a value of some length"
	reqs := []kv.Request{
		kv.New().WithKey(key),
		kv.New().WithKey(key).WithPrefix().WithLimit(3).WithSort(kv.SortByMod, kv.SortDescend),
		kv.New().WithKey(key).WithFromKey(),
		kv.New().WithKey(key).WithRangeEnd("wire/zzz"),
		kv.New().WithAll().WithCountOnly(),
		kv.New().WithPrefix(),
	}
	for _, r := range reqs {
		want, werr := r.RangeRequest()
		got, gerr := rangeWire(r, wire.Alias)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v vs %v", werr, gerr)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("RangeWire differs (-want +got):\n%s", diff)
		}
		wantD, _ := r.DeleteRequest()
		gotD, _ := deleteWire(r, wire.Alias)
		if diff := cmp.Diff(wantD, gotD, protocmp.Transform()); diff != "" {
			t.Errorf("DeleteWire differs (-want +got):\n%s", diff)
		}
	}
	put := kv.New().WithKey(key).WithValue(value).WithLease(7).WithPrevKV()
	want, _ := put.PutRequest()
	got, err := putWire(put, wire.Alias)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("PutWire differs (-want +got):\n%s", diff)
	}
	if unsafe.SliceData(got.Key) != unsafe.StringData(key) || unsafe.SliceData(got.Value) != unsafe.StringData(value) {
		t.Errorf("PutWire copied the key or value")
	}
	if unsafe.SliceData(want.Key) == unsafe.StringData(key) {
		t.Errorf("PutRequest shares the key's memory; the caller could write into a string")
	}
	if _, err := rangeWire(kv.New().WithKey("a").WithPrefix().WithFromKey(), wire.Alias); err == nil {
		t.Errorf("RangeWire accepted an invalid request")
	}
}

func TestWireAllocs(t *testing.T) {
	put := kv.New().WithKey("wire/key").WithValue("value")
	get := kv.New().WithKey("wire/key").WithPrefix()
	for _, tc := range []struct {
		name string
		f    func()
		want float64
	}{
		{"put", func() { _, _ = putWire(put, wire.Alias) }, 1},            // the message only
		{"range prefix", func() { _, _ = rangeWire(get, wire.Alias) }, 2}, // message and computed range end
	} {
		if got := testing.AllocsPerRun(100, tc.f); got != tc.want {
			t.Errorf("%s: %v allocs, want %v", tc.name, got, tc.want)
		}
	}
}
