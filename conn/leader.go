package conn

import (
	"context"
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/metadata"

	"github.com/getcd/getcd/internal/codec"
)

// leaderMD is etcd's require-leader metadata ("hasleader": "true"). One
// map serves every call: gRPC only reads outgoing metadata, and whoever
// wants to change it must copy it (metadata.FromOutgoingContext does).
var leaderMD = metadata.Pairs(rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)

// withRequireLeader attaches the require-leader metadata to ctx: the
// shared map when ctx carries no outgoing metadata (two small allocations,
// the fewest gRPC allows), else appended to what it carries, unless that
// already requires a leader.
func withRequireLeader(ctx context.Context) context.Context {
	// FromOutgoingContext copies the metadata it finds, but costs nothing
	// when there is none, the common case.
	if _, ok := metadata.FromOutgoingContext(ctx); !ok {
		return metadata.NewOutgoingContext(ctx, leaderMD)
	}
	if v := metadata.ValueFromOutgoingContext(ctx, rpctypes.MetadataRequireLeaderKey); len(v) > 0 && v[0] == rpctypes.MetadataHasLeader {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
}

// requireLeader says whether a call carries the require-leader metadata:
// the table "Leader-aware rotation" in the package documentation. A member
// without a leader refuses such a call at once (ErrNoLeader), before
// running it, instead of letting it wait for a leader that may not come.
func requireLeader(method string, req any, write bool) bool {
	switch method {
	case MethodRange:
		switch r := req.(type) {
		case *pb.RangeRequest:
			return !r.Serializable
		case *codec.Range:
			return !r.Fields.Serializable
		}
		return true
	case MethodTxn:
		switch t := req.(type) {
		case *pb.TxnRequest:
			return write || !txnSerializable(t)
		case *codec.Txn:
			return write || !t.Fields.Serializable
		}
		return true
	case "/etcdserverpb.Cluster/MemberList":
		r, ok := req.(*pb.MemberListRequest)
		return !ok || r.Linearizable
	// What a member answers about itself, whatever the rest of the
	// cluster does; MoveLeader is answered by the leader alone (ErrNotLeader
	// from any other member).
	case "/etcdserverpb.Maintenance/Status", "/etcdserverpb.Maintenance/Defragment",
		"/etcdserverpb.Maintenance/Hash", "/etcdserverpb.Maintenance/HashKV",
		"/etcdserverpb.Maintenance/MoveLeader":
		return false
	case "/etcdserverpb.Maintenance/Alarm", "/etcdserverpb.Maintenance/Downgrade",
		"/etcdserverpb.Lease/LeaseTimeToLive", "/etcdserverpb.Lease/LeaseLeases":
		return true // through raft, or answered by the leader
	}
	// The KV, lease, cluster and auth changes, and the auth reads, which
	// etcd serves through raft.
	return write || isAuthMethod(method)
}

func isAuthMethod(method string) bool {
	const prefix = "/etcdserverpb.Auth/"
	return len(method) > len(prefix) && method[:len(prefix)] == prefix
}

// txnSerializable mirrors etcd's rule: a transaction of serializable
// ranges only (a nested transaction does not count as one) is served
// without a leader (server/etcdserver/txn/txn.go IsTxnSerializable, used
// by server/etcdserver/v3_server.go Txn).
func txnSerializable(t *pb.TxnRequest) bool {
	for _, ops := range [2][]*pb.RequestOp{t.Success, t.Failure} {
		for _, o := range ops {
			if r := o.GetRequestRange(); r == nil || !r.Serializable {
				return false
			}
		}
	}
	return true
}

// noLeaderResendable are the writes that may be sent again after a member
// answered ErrNoLeader. In etcd v3.7.3 that answer comes, for these
// methods, only from the require-leader check of
// server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor, which
// refuses the call before its handler runs, so before any proposal. The
// other source of ErrNoLeader, EtcdServer.waitLeader
// (server/etcdserver/v3_server.go), serves lease renewals, LeaseTimeToLive
// and learner promotion (server/etcdserver/server.go PromoteMember, which
// may already have forwarded the promotion to the leader when waitLeader
// gives up): MemberPromote is therefore not resent, nor is any other write
// not listed here.
var noLeaderResendable = map[string]bool{
	MethodPut: true, MethodDeleteRange: true, MethodTxn: true, MethodCompact: true,
	"/etcdserverpb.Lease/LeaseGrant": true, "/etcdserverpb.Lease/LeaseRevoke": true,
}

// resendNoLeader says whether a call that failed with err, after try
// attempts, is sent again: err is a refusal for lack of a leader, the call
// is a read or a write in noLeaderResendable, rotation is on (the member
// that refused is now out of it) and some endpoint is still in rotation.
// At most one attempt per endpoint is made.
func (c *Conn) resendNoLeader(method string, write bool, err error, try int) bool {
	if c.health == nil || !errors.Is(err, ErrNoLeader) || (write && !noLeaderResendable[method]) {
		return false
	}
	var ce *Error
	if !errors.As(err, &ce) || ce.NotSent || ce.ctxErr != nil {
		return false
	}
	return try < len(c.endpoints()) && c.health.inRotation() > 0
}
