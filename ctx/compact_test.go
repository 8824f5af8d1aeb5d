package kv_test

import (
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

func TestCompactRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  kv.Request
		want *pb.CompactionRequest
	}{
		{"revision", kv.New().WithRev(100), &pb.CompactionRequest{Revision: 100}},
		{"physical", kv.New().WithRev(1).WithPhysical(), &pb.CompactionRequest{Revision: 1, Physical: true}},
		{"physical first", kv.New().WithPhysical().WithRev(7), &pb.CompactionRequest{Revision: 7, Physical: true}},
		{"timeout", kv.On("c").WithRev(7).WithTimeout(time.Second), &pb.CompactionRequest{Revision: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.CompactRequest()
			if err != nil {
				t.Fatalf("CompactRequest() error: %v", err)
			}
			diff(t, tc.want, got)
		})
	}
}
