package kv_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

// TestImmutableParallel derives many requests from one shared base in
// parallel goroutines (run it with -race): the base and every sibling stay
// as they were built.
func TestImmutableParallel(t *testing.T) {
	base := kv.On("main").WithKey("svc/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend).WithLimit(50)
	snapshot := base // Request is a comparable value

	const n = 64
	children := make([]kv.Request, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := base.WithLimit(i).WithRev(int64(i + 1))
			if i%2 == 0 {
				c = c.WithKeysOnly().WithSort(kv.SortByMod, kv.SortDescend)
			}
			if i%3 == 0 {
				c = c.WithKey("svc/" + strconv.Itoa(i) + "/")
			}
			// Compile concurrently as well: compiling must not write either.
			if _, err := base.RangeRequest(); err != nil {
				t.Error(err)
			}
			if _, err := c.RangeRequest(); err != nil {
				t.Error(err)
			}
			children[i] = c
		}()
	}
	wg.Wait()

	if base != snapshot {
		t.Fatalf("base changed:\n got %+v\nwant %+v", base, snapshot)
	}
	got, err := base.RangeRequest()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.RangeRequest{Key: b("svc/"), RangeEnd: b("svc0"), Limit: 50, SortTarget: pb.RangeRequest_KEY, SortOrder: pb.RangeRequest_ASCEND}, got)

	for i, c := range children {
		key, end := "svc/", "svc0"
		if i%3 == 0 {
			key = "svc/" + strconv.Itoa(i) + "/"
			end = "svc/" + strconv.Itoa(i) + "0"
		}
		want := &pb.RangeRequest{Key: b(key), RangeEnd: b(end), Limit: int64(i), Revision: int64(i + 1),
			SortTarget: pb.RangeRequest_KEY, SortOrder: pb.RangeRequest_ASCEND}
		if i%2 == 0 {
			want.KeysOnly = true
			want.SortTarget, want.SortOrder = pb.RangeRequest_MOD, pb.RangeRequest_DESCEND
		}
		got, err := c.RangeRequest()
		if err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		t.Run(fmt.Sprint("child", i), func(t *testing.T) { diff(t, want, got) })
		if c.Conn() != "main" {
			t.Errorf("child %d lost the connection name: %q", i, c.Conn())
		}
	}
}

// TestWithReturnsCopy checks every With method leaves its receiver alone.
func TestWithReturnsCopy(t *testing.T) {
	base := kv.New().WithKey("k")
	for name, with := range map[string]func(kv.Request) kv.Request{
		"WithKey": func(r kv.Request) kv.Request { return r.WithKey("other") }, "WithValue": func(r kv.Request) kv.Request { return r.WithValue("v") },
		"WithPrefix": kv.Request.WithPrefix, "WithFromKey": kv.Request.WithFromKey, "WithAll": kv.Request.WithAll,
		"WithRangeEnd": func(r kv.Request) kv.Request { return r.WithRangeEnd("z") }, "WithLimit": func(r kv.Request) kv.Request { return r.WithLimit(1) },
		"WithRev": func(r kv.Request) kv.Request { return r.WithRev(1) }, "WithSerializable": kv.Request.WithSerializable,
		"WithKeysOnly": kv.Request.WithKeysOnly, "WithCountOnly": kv.Request.WithCountOnly,
		"WithMinModRev": func(r kv.Request) kv.Request { return r.WithMinModRev(1) }, "WithMaxModRev": func(r kv.Request) kv.Request { return r.WithMaxModRev(1) },
		"WithMinCreateRev": func(r kv.Request) kv.Request { return r.WithMinCreateRev(1) }, "WithMaxCreateRev": func(r kv.Request) kv.Request { return r.WithMaxCreateRev(1) },
		"WithSort": func(r kv.Request) kv.Request { return r.WithSort(kv.SortByMod, kv.SortAscend) }, "WithTop": func(r kv.Request) kv.Request { return r.WithTop(kv.SortByMod, kv.SortAscend) },
		"WithFirstKey": kv.Request.WithFirstKey, "WithLastKey": kv.Request.WithLastKey, "WithFirstCreate": kv.Request.WithFirstCreate,
		"WithLastCreate": kv.Request.WithLastCreate, "WithFirstRev": kv.Request.WithFirstRev, "WithLastRev": kv.Request.WithLastRev,
		"WithPrevKV": kv.Request.WithPrevKV, "WithLease": func(r kv.Request) kv.Request { return r.WithLease(1) },
		"WithIgnoreValue": kv.Request.WithIgnoreValue, "WithIgnoreLease": kv.Request.WithIgnoreLease, "WithPhysical": kv.Request.WithPhysical,
		"WithTimeout": func(r kv.Request) kv.Request { return r.WithTimeout(1) }, "WithConn": func(r kv.Request) kv.Request { return r.WithConn("c") },
		"WithKeyBytes": func(r kv.Request) kv.Request { return r.WithKeyBytes([]byte("x")) }, "WithValueBytes": func(r kv.Request) kv.Request { return r.WithValueBytes([]byte("x")) },
	} {
		r := base
		derived := with(r)
		if r != base {
			t.Errorf("%s changed its receiver", name)
		}
		if derived == base {
			t.Errorf("%s returned its receiver unchanged", name)
		}
	}
}
