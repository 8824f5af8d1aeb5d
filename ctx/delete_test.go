package kv_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

func TestDeleteRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  kv.Request
		want *pb.DeleteRangeRequest
	}{
		{"key", kv.New().WithKey("KeyExist"), &pb.DeleteRangeRequest{Key: b("KeyExist")}},
		{"prefix", kv.New().WithKey("K").WithPrefix(), &pb.DeleteRangeRequest{Key: b("K"), RangeEnd: b("L")}},
		{"prefix a\\xff", kv.New().WithKey("a\xff").WithPrefix(), &pb.DeleteRangeRequest{Key: b("a\xff"), RangeEnd: b("b")}},
		{"prefix \\xff\\xff", kv.New().WithKey("\xff\xff").WithPrefix(), &pb.DeleteRangeRequest{Key: b("\xff\xff"), RangeEnd: b("\x00")}},
		{"prefix empty key", kv.New().WithPrefix(), &pb.DeleteRangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"from key", kv.New().WithKey("m").WithFromKey(), &pb.DeleteRangeRequest{Key: b("m"), RangeEnd: b("\x00")}},
		{"range end", kv.New().WithKey("a").WithRangeEnd("b"), &pb.DeleteRangeRequest{Key: b("a"), RangeEnd: b("b")}},
		{"all", kv.New().WithAll(), &pb.DeleteRangeRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"prev kv", kv.New().WithKey("k").WithPrevKV(), &pb.DeleteRangeRequest{Key: b("k"), PrevKv: true}},
		{"prefix prev kv", kv.New().WithPrevKV().WithPrefix().WithKey("k"), &pb.DeleteRangeRequest{Key: b("k"), RangeEnd: b("l"), PrevKv: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.DeleteRequest()
			if err != nil {
				t.Fatalf("DeleteRequest() error: %v", err)
			}
			diff(t, tc.want, got)
		})
	}
}
