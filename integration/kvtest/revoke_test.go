package kvtest

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

// A lease revoke is a write: the connection's retry policy must not resend
// it. The proxy drops the server's answer to a revoke that etcd applied and
// then breaks the connection; resent, the revoke would come back as "lease
// not found", a definite failure for something that happened. It must fail
// as unavailable instead, which conn reports as an unknown outcome.
func TestLeaseRevokeNotRetried(t *testing.T) {
	px, err := etcdtest.NewProxy(shared.Endpoints()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	c := open(t, nil, conn.Config{Endpoints: []string{px.Addr()}})
	direct := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	id := grantLease(t, c, 600)

	px.Blackhole(etcdtest.ToClient) // the revoke reaches etcd; its answer does not
	done := make(chan error, 1)
	go func() {
		_, err := pb.NewLeaseClient(c.ClientConn()).LeaseRevoke(ctx, &pb.LeaseRevokeRequest{ID: id})
		done <- err
	}()
	// Wait until etcd has revoked the lease; its answer is being dropped.
	for {
		ttl, err := pb.NewLeaseClient(direct.ClientConn()).LeaseTimeToLive(ctx, &pb.LeaseTimeToLiveRequest{ID: id})
		if err != nil {
			t.Fatalf("lease time to live: %v", err)
		}
		if ttl.TTL == -1 {
			break
		}
		sleepBriefly()
	}
	px.Cut() // before healing, so that no late answer gets through
	px.Heal()
	err = <-done
	if code := status.Code(err); code != codes.Unavailable {
		t.Errorf("revoke whose answer was lost = %v (code %v), want Unavailable: a write must not be resent", err, code)
	}
}
