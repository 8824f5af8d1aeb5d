package kv_test

import (
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

// TestRangeRequest compiles every range option, alone and combined, and
// compares the result with the message written out by hand.
func TestRangeRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  kv.Request
		want *pb.RangeRequest
	}{
		{"key", kv.New().WithKey("a"), &pb.RangeRequest{Key: b("a")}},
		{"key bytes", kv.New().WithKeyBytes([]byte{'k', 0, 0xff}), &pb.RangeRequest{Key: []byte{'k', 0, 0xff}}},
		{"nul key", kv.New().WithKey("\x00"), &pb.RangeRequest{Key: b("\x00")}},
		{"prefix", kv.New().WithKey("config/").WithPrefix(), &pb.RangeRequest{Key: b("config/"), RangeEnd: b("config0")}},
		{"prefix a\\xff", kv.New().WithKey("a\xff").WithPrefix(), &pb.RangeRequest{Key: b("a\xff"), RangeEnd: b("b")}},
		{"prefix a\\xff\\xff", kv.New().WithKey("a\xff\xff").WithPrefix(), &pb.RangeRequest{Key: b("a\xff\xff"), RangeEnd: b("b")}},
		{"prefix \\xff\\xff", kv.New().WithKey("\xff\xff").WithPrefix(), &pb.RangeRequest{Key: b("\xff\xff"), RangeEnd: b("\x00")}},
		{"prefix a\\xfe", kv.New().WithKey("a\xfe").WithPrefix(), &pb.RangeRequest{Key: b("a\xfe"), RangeEnd: b("a\xff")}},
		{"prefix empty key", kv.New().WithPrefix(), &pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"prefix explicit empty key", kv.New().WithKey("").WithPrefix(), &pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"from key", kv.New().WithKey("m").WithFromKey(), &pb.RangeRequest{Key: b("m"), RangeEnd: b("\x00")}},
		{"from empty key", kv.New().WithFromKey(), &pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"range end", kv.New().WithKey("a").WithRangeEnd("c"), &pb.RangeRequest{Key: b("a"), RangeEnd: b("c")}},
		{"range end nul", kv.New().WithKey("a").WithRangeEnd("\x00"), &pb.RangeRequest{Key: b("a"), RangeEnd: b("\x00")}},
		{"eetcd all keys", kv.New().WithKey("\x00").WithRangeEnd("\x00"), &pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"all", kv.New().WithAll(), &pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"limit", kv.New().WithKey("a").WithPrefix().WithLimit(10), &pb.RangeRequest{Key: b("a"), RangeEnd: b("b"), Limit: 10}},
		{"limit zero", kv.New().WithKey("a").WithLimit(0), &pb.RangeRequest{Key: b("a")}},
		{"revision", kv.New().WithKey("a").WithRev(42), &pb.RangeRequest{Key: b("a"), Revision: 42}},
		{"serializable", kv.New().WithKey("a").WithSerializable(), &pb.RangeRequest{Key: b("a"), Serializable: true}},
		{"keys only", kv.New().WithKey("a").WithKeysOnly(), &pb.RangeRequest{Key: b("a"), KeysOnly: true}},
		{"count only", kv.New().WithKey("a").WithCountOnly(), &pb.RangeRequest{Key: b("a"), CountOnly: true}},
		{"min mod", kv.New().WithKey("a").WithMinModRev(3), &pb.RangeRequest{Key: b("a"), MinModRevision: 3}},
		{"max mod", kv.New().WithKey("a").WithMaxModRev(4), &pb.RangeRequest{Key: b("a"), MaxModRevision: 4}},
		{"min create", kv.New().WithKey("a").WithMinCreateRev(5), &pb.RangeRequest{Key: b("a"), MinCreateRevision: 5}},
		{"max create", kv.New().WithKey("a").WithMaxCreateRev(6), &pb.RangeRequest{Key: b("a"), MaxCreateRevision: 6}},
		{"timeout is not a field", kv.New().WithKey("a").WithTimeout(time.Second), &pb.RangeRequest{Key: b("a")}},
		{"conn is not a field", kv.On("c1").WithKey("a").WithConn("c2"), &pb.RangeRequest{Key: b("a")}},
		{"last key wins", kv.New().WithKey("a").WithKey("b"), &pb.RangeRequest{Key: b("b")}},
		{"last limit wins", kv.New().WithKey("a").WithLimit(5).WithLimit(7), &pb.RangeRequest{Key: b("a"), Limit: 7}},
		{"every option", kv.New().WithKey("k/").WithPrefix().WithLimit(100).WithRev(9).
			WithSort(kv.SortByMod, kv.SortDescend).WithSerializable().WithKeysOnly().WithCountOnly().
			WithMinModRev(1).WithMaxModRev(8).WithMinCreateRev(2).WithMaxCreateRev(7).WithTimeout(time.Minute),
			&pb.RangeRequest{
				Key: b("k/"), RangeEnd: b("k0"), Limit: 100, Revision: 9,
				SortTarget: pb.RangeRequest_MOD, SortOrder: pb.RangeRequest_DESCEND,
				Serializable: true, KeysOnly: true, CountOnly: true,
				MinModRevision: 1, MaxModRevision: 8, MinCreateRevision: 2, MaxCreateRevision: 7,
			}},
		{"eetcd watch sample keys only", kv.New().WithKey("heartbeat:").WithPrefix().WithKeysOnly(),
			&pb.RangeRequest{Key: b("heartbeat:"), RangeEnd: b("heartbeat;"), KeysOnly: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.RangeRequest()
			if err != nil {
				t.Fatalf("RangeRequest() error: %v", err)
			}
			diff(t, tc.want, got)
		})
	}
}

// TestRangeSort compiles every sort target with every order, on a prefix,
// a from-key range, an explicit range and all keys.
func TestRangeSort(t *testing.T) {
	targets := map[kv.SortTarget]pb.RangeRequest_SortTarget{
		kv.SortByKey: pb.RangeRequest_KEY, kv.SortByVersion: pb.RangeRequest_VERSION,
		kv.SortByCreate: pb.RangeRequest_CREATE, kv.SortByMod: pb.RangeRequest_MOD,
		kv.SortByValue: pb.RangeRequest_VALUE,
	}
	orders := map[kv.SortOrder]pb.RangeRequest_SortOrder{
		kv.SortNone: pb.RangeRequest_NONE, kv.SortAscend: pb.RangeRequest_ASCEND, kv.SortDescend: pb.RangeRequest_DESCEND,
	}
	spans := []struct {
		name     string
		req      kv.Request
		key, end string
	}{
		{"prefix", kv.New().WithKey("p").WithPrefix(), "p", "q"},
		{"from key", kv.New().WithKey("p").WithFromKey(), "p", "\x00"},
		{"range end", kv.New().WithKey("p").WithRangeEnd("z"), "p", "z"},
		{"all", kv.New().WithAll(), "\x00", "\x00"},
	}
	n := 0
	for target, pbTarget := range targets {
		for order, pbOrder := range orders {
			for _, s := range spans {
				t.Run(target.String()+"/"+order.String()+"/"+s.name, func(t *testing.T) {
					got, err := s.req.WithSort(target, order).RangeRequest()
					if err != nil {
						t.Fatal(err)
					}
					diff(t, &pb.RangeRequest{Key: b(s.key), RangeEnd: b(s.end), SortTarget: pbTarget, SortOrder: pbOrder}, got)
				})
				n++
			}
		}
	}
	if n != 5*3*4 {
		t.Fatalf("ran %d sort cases, want 60", n)
	}
}

// TestRangeShortcuts checks WithTop and the first/last shortcuts: sort +
// prefix + limit 1.
func TestRangeShortcuts(t *testing.T) {
	base := kv.New().WithKey("jobs/")
	top := func(target pb.RangeRequest_SortTarget, order pb.RangeRequest_SortOrder) *pb.RangeRequest {
		return &pb.RangeRequest{Key: b("jobs/"), RangeEnd: b("jobs0"), Limit: 1, SortTarget: target, SortOrder: order}
	}
	for _, tc := range []struct {
		name string
		req  kv.Request
		want *pb.RangeRequest
	}{
		{"top", base.WithTop(kv.SortByVersion, kv.SortDescend), top(pb.RangeRequest_VERSION, pb.RangeRequest_DESCEND)},
		{"top value", base.WithTop(kv.SortByValue, kv.SortAscend), top(pb.RangeRequest_VALUE, pb.RangeRequest_ASCEND)},
		{"first key", base.WithFirstKey(), top(pb.RangeRequest_KEY, pb.RangeRequest_ASCEND)},
		{"last key", base.WithLastKey(), top(pb.RangeRequest_KEY, pb.RangeRequest_DESCEND)},
		{"first create", base.WithFirstCreate(), top(pb.RangeRequest_CREATE, pb.RangeRequest_ASCEND)},
		{"last create", base.WithLastCreate(), top(pb.RangeRequest_CREATE, pb.RangeRequest_DESCEND)},
		{"first rev", base.WithFirstRev(), top(pb.RangeRequest_MOD, pb.RangeRequest_ASCEND)},
		{"last rev", base.WithLastRev(), top(pb.RangeRequest_MOD, pb.RangeRequest_DESCEND)},
		{"key after shortcut", kv.New().WithLastRev().WithKey("jobs/"), top(pb.RangeRequest_MOD, pb.RangeRequest_DESCEND)},
		{"shortcut then limit", base.WithFirstKey().WithLimit(3),
			&pb.RangeRequest{Key: b("jobs/"), RangeEnd: b("jobs0"), Limit: 3, SortTarget: pb.RangeRequest_KEY, SortOrder: pb.RangeRequest_ASCEND}},
		{"shortcut on empty key", kv.New().WithFirstCreate(),
			&pb.RangeRequest{Key: b("\x00"), RangeEnd: b("\x00"), Limit: 1, SortTarget: pb.RangeRequest_CREATE, SortOrder: pb.RangeRequest_ASCEND}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.RangeRequest()
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tc.want, got)
		})
	}
}
