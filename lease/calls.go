package lease

import (
	"context"
	"net"
	"strconv"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// Full gRPC method names of the Lease service.
const (
	MethodGrant      = "/etcdserverpb.Lease/LeaseGrant"
	MethodRevoke     = "/etcdserverpb.Lease/LeaseRevoke"
	MethodKeepAlive  = "/etcdserverpb.Lease/LeaseKeepAlive"
	MethodTimeToLive = "/etcdserverpb.Lease/LeaseTimeToLive"
	MethodLeases     = "/etcdserverpb.Lease/LeaseLeases"
)

// keepAliveDesc describes the bidirectional keep-alive stream.
var keepAliveDesc = grpc.StreamDesc{StreamName: "LeaseKeepAlive", ServerStreams: true, ClientStreams: true}

// Grant grants a lease of r's TTL (lease.TTL(10)), with r's ID if it has
// one. A grant is a write: if its fate is unknown the error matches
// conn.ErrUnknownOutcome (a lease may exist that nobody keeps alive; it
// expires after its TTL). A chosen ID that is taken fails with
// conn.ErrLeaseExist.
func Grant(ctx context.Context, c *conn.Conn, r Request) (*GrantResponse, error) {
	m, err := r.GrantRequest()
	return unary(ctx, c, r, MethodGrant, connx.Write, m, err, &pb.LeaseGrantResponse{}, grantResponse)
}

// Revoke revokes the lease r names (lease.ID(id)) and deletes the keys
// attached to it. A revoke is a write: if its fate is unknown the error
// matches conn.ErrUnknownOutcome. An unknown lease fails with
// conn.ErrLeaseNotFound.
func Revoke(ctx context.Context, c *conn.Conn, r Request) (*RevokeResponse, error) {
	m, err := r.RevokeRequest()
	return unary(ctx, c, r, MethodRevoke, connx.Write, m, err, &pb.LeaseRevokeResponse{}, revokeResponse)
}

// TimeToLive reports how long the lease r names has left, in whole seconds
// rounded down (0 is less than a second), and with WithKeys the keys
// attached to it. An unknown lease, or one that expired, fails with
// conn.ErrLeaseNotFound (etcd answers TTL -1).
func TimeToLive(ctx context.Context, c *conn.Conn, r Request) (*TimeToLiveResponse, error) {
	m, err := r.TimeToLiveRequest()
	resp, err := unary(ctx, c, r, MethodTimeToLive, connx.Read, m, err, &pb.LeaseTimeToLiveResponse{}, timeToLiveResponse)
	if err == nil && resp.TTL < 0 {
		x, _ := connx.Get(c)
		return nil, notFound(ctx, x, MethodTimeToLive, memberPeer(resp.Header.MemberID))
	}
	return resp, err
}

// Leases lists the IDs of every lease the cluster has.
func Leases(ctx context.Context, c *conn.Conn, r Request) (*LeasesResponse, error) {
	m, err := r.LeasesRequest()
	return unary(ctx, c, r, MethodLeases, connx.Read, m, err, &pb.LeaseLeasesResponse{}, leasesResponse)
}

// KeepAliveOnce renews the lease r names once, on a short stream of its
// own, and reports the TTL it now has. An unknown or expired lease fails
// with conn.ErrLeaseNotFound. To keep a lease alive, use KeepAlive.
func KeepAliveOnce(ctx context.Context, c *conn.Conn, r Request) (*KeepAliveResponse, error) {
	m, err := r.KeepAliveRequest()
	if err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, c, r)
	defer cancel()
	// The stream ends with this call: cancelling its context releases it.
	sctx, scancel := context.WithCancel(requireLeader(ctx))
	defer scancel()
	cs, err := x.NewStream(sctx, &keepAliveDesc, MethodKeepAlive)
	if err != nil {
		return nil, x.Error(ctx, MethodKeepAlive, nil, connx.Read, err)
	}
	p, _ := peer.FromContext(cs.Context())
	resp := &pb.LeaseKeepAliveResponse{}
	// A failed SendMsg says only io.EOF; RecvMsg returns the stream's status.
	_ = cs.SendMsg(m)
	if err := cs.RecvMsg(resp); err != nil {
		return nil, x.Error(ctx, MethodKeepAlive, p, connx.Read, err)
	}
	if resp.TTL <= 0 {
		return nil, notFound(ctx, x, MethodKeepAlive, p)
	}
	return keepAliveResponse(resp), nil
}

// unary runs one compiled request: compile error first, then the
// per-request timeout, the call and the conversion of the answer.
func unary[M, R proto.Message, O any](ctx context.Context, c *conn.Conn, r Request, method string, kind connx.Kind,
	m M, compileErr error, resp R, convert func(R) O) (O, error) {
	var zero O
	if compileErr != nil {
		return zero, compileErr
	}
	x, err := connx.Get(c)
	if err != nil {
		return zero, err
	}
	ctx, cancel := withTimeout(ctx, c, r)
	defer cancel()
	if err := x.Invoke(ctx, method, m, resp, kind); err != nil {
		return zero, err
	}
	return convert(resp), nil
}

// withTimeout applies r's timeout, or the connection's RequestTimeout, to
// ctx, unless ctx ends earlier anyway. c is known to be usable.
func withTimeout(ctx context.Context, c *conn.Conn, r Request) (context.Context, context.CancelFunc) {
	d := r.timeout
	if d == 0 {
		d = c.Config().RequestTimeout
	}
	if d <= 0 {
		return ctx, func() {}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// requireLeader marks a stream so that the server refuses it, or ends it,
// while its member has no leader: a member cut off from the cluster cannot
// renew leases, and the stream then moves to another endpoint.
func requireLeader(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
}

// notFound is the error of a lease the server answered for as unknown (a
// keep-alive with TTL 0, a time-to-live of -1): a *conn.Error matching
// conn.ErrLeaseNotFound that names the endpoint.
func notFound(ctx context.Context, x connx.Conn, method string, p *peer.Peer) error {
	return x.Error(ctx, method, p, connx.Read, rpctypes.ErrGRPCLeaseNotFound)
}

// memberPeer names the member that answered when the endpoint is not known
// (unary calls report only the header).
func memberPeer(id uint64) *peer.Peer {
	return &peer.Peer{Addr: memberAddr("member " + strconv.FormatUint(id, 16))}
}

type memberAddr string

func (a memberAddr) Network() string { return "etcd" }
func (a memberAddr) String() string  { return string(a) }

var _ net.Addr = memberAddr("")
