package kv_test

import (
	"context"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/ctx"
)

// listConfig has the usual ctx context.Context parameter and still reaches
// the builder with the plain import: the package is named kv, so nothing
// is shadowed and no alias is needed.
func listConfig(ctx context.Context, prefix string) (*pb.RangeRequest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return kv.New().WithKey(prefix).WithPrefix().WithSort(kv.SortByKey, kv.SortAscend).RangeRequest()
}

func TestNamingWithContextParameter(t *testing.T) {
	got, err := listConfig(context.Background(), "config/")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.RangeRequest{Key: b("config/"), RangeEnd: b("config0"), SortTarget: pb.RangeRequest_KEY, SortOrder: pb.RangeRequest_ASCEND}, got)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := listConfig(ctx, "config/"); err != context.Canceled {
		t.Fatalf("cancelled context: err = %v, want context.Canceled", err)
	}
}
