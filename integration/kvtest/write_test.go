package kvtest

import (
	"errors"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

func grantLease(t *testing.T, c *conn.Conn, ttl int64) int64 {
	t.Helper()
	resp := &pb.LeaseGrantResponse{}
	if err := c.ClientConn().Invoke(testCtx(t), "/etcdserverpb.Lease/LeaseGrant", &pb.LeaseGrantRequest{TTL: ttl}, resp); err != nil {
		t.Fatalf("lease grant: %v", err)
	}
	return resp.ID
}

func TestPutOptions(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "k"

	first, err := c.Put(ctx, kv.New().WithKey(k).WithValue("one").WithPrevKV())
	if err != nil || first.PrevKV != nil || first.Header.Revision == 0 {
		t.Fatalf("first put: %v %+v", err, first)
	}
	second, err := c.Put(ctx, kv.New().WithKey(k).WithValue("two").WithPrevKV())
	if err != nil || second.PrevKV == nil || string(second.PrevKV.Value) != "one" || second.PrevKV.ModRevision != first.Header.Revision {
		t.Fatalf("prev kv: %v %+v", err, second)
	}

	lease := grantLease(t, c, 60)
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithIgnoreValue().WithLease(lease)); err != nil {
		t.Fatalf("ignore value: %v", err)
	}
	got := getOne(t, c, k)
	if string(got.Value) != "two" || got.Lease != lease {
		t.Errorf("after ignore value: %+v, want value two on lease %x", got, lease)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("three").WithIgnoreLease()); err != nil {
		t.Fatalf("ignore lease: %v", err)
	}
	got = getOne(t, c, k)
	if string(got.Value) != "three" || got.Lease != lease || got.Version != 4 {
		t.Errorf("after ignore lease: %+v, want value three still on lease %x, version 4", got, lease)
	}

	// etcd refuses ignore_value on a missing key: a server error, typed.
	_, err = c.Put(ctx, kv.New().WithKey(k+"-missing").WithIgnoreValue())
	if !errors.Is(err, conn.ErrKeyNotFound) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("ignore value on a missing key = %v, want ErrKeyNotFound with a known outcome", err)
	}
	// A lease that does not exist.
	_, err = c.Put(ctx, kv.New().WithKey(k).WithValue("x").WithLease(0x7fff0001))
	if !errors.Is(err, conn.ErrLeaseNotFound) {
		t.Errorf("put on missing lease = %v, want ErrLeaseNotFound", err)
	}
}

func getOne(t *testing.T, c *conn.Conn, k string) conn.KeyValue {
	t.Helper()
	r, err := c.Get(testCtx(t), kv.New().WithKey(k))
	if err != nil || len(r.KVs) != 1 {
		t.Fatalf("get %q: %v %+v", k, err, r)
	}
	return r.KVs[0]
}

func TestDeleteOptions(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	seed(t, c, p)

	d, err := c.Delete(ctx, kv.New().WithKey(p+"1").WithPrevKV())
	if err != nil || d.Deleted != 1 || len(d.PrevKVs) != 1 || string(d.PrevKVs[0].Value) != "v5" {
		t.Fatalf("delete one: %v %+v", err, d)
	}
	d, err = c.Delete(ctx, kv.New().WithKey(p+"2").WithRangeEnd(p+"4"))
	if err != nil || d.Deleted != 2 || d.PrevKVs != nil {
		t.Fatalf("delete range: %v %+v", err, d)
	}
	d, err = c.Delete(ctx, kv.New().WithKey(p+"missing"))
	if err != nil || d.Deleted != 0 {
		t.Fatalf("delete missing: %v %+v", err, d)
	}
	d, err = c.Delete(ctx, kv.New().WithKey(p).WithPrefix().WithPrevKV())
	if err != nil || d.Deleted != 2 || len(d.PrevKVs) != 2 {
		t.Fatalf("delete prefix: %v %+v", err, d)
	}
	r, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly())
	if err != nil || r.Count != 0 {
		t.Errorf("after delete: %v count %d", err, r.Count)
	}
	_, err = c.Delete(ctx, kv.New().WithKey(p).WithLease(1))
	if !errors.Is(err, conn.ErrInvalidRequest) {
		t.Errorf("lease on delete = %v, want ErrInvalidRequest", err)
	}
}

func TestCompact(t *testing.T) {
	// Its own server: compaction would break revision reads of other tests.
	c := open(t, etcdtest.Start(t, etcdtest.WithDedicated()), conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "k"
	old, err := c.Put(ctx, kv.New().WithKey(k).WithValue("old"))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := c.Put(ctx, kv.New().WithKey(k).WithValue("new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(cur.Header.Revision).WithPhysical()); err != nil {
		t.Fatalf("compact: %v", err)
	}
	_, err = c.Get(ctx, kv.New().WithKey(k).WithRev(old.Header.Revision))
	if !errors.Is(err, conn.ErrCompacted) {
		t.Errorf("get below compaction = %v, want ErrCompacted", err)
	}
	_, err = c.Compact(ctx, kv.New().WithRev(old.Header.Revision))
	if !errors.Is(err, conn.ErrCompacted) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("compact below compaction = %v, want ErrCompacted with a known outcome", err)
	}
	_, err = c.Get(ctx, kv.New().WithKey(k).WithRev(cur.Header.Revision+1000))
	if !errors.Is(err, conn.ErrFutureRev) {
		t.Errorf("get at a future revision = %v, want ErrFutureRev", err)
	}
	_, err = c.Compact(ctx, kv.New().WithRev(cur.Header.Revision+1000))
	if !errors.Is(err, conn.ErrFutureRev) {
		t.Errorf("compact at a future revision = %v, want ErrFutureRev", err)
	}
}
