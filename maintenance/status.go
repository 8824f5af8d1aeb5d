package maintenance

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// Full gRPC method names of etcd's Maintenance service.
const (
	MethodStatus     = "/etcdserverpb.Maintenance/Status"
	MethodDefragment = "/etcdserverpb.Maintenance/Defragment"
	MethodHash       = "/etcdserverpb.Maintenance/Hash"
	MethodHashKV     = "/etcdserverpb.Maintenance/HashKV"
	MethodAlarm      = "/etcdserverpb.Maintenance/Alarm"
	MethodMoveLeader = "/etcdserverpb.Maintenance/MoveLeader"
	MethodDowngrade  = "/etcdserverpb.Maintenance/Downgrade"
	MethodSnapshot   = "/etcdserverpb.Maintenance/Snapshot"
)

// StatusResponse is the answer to Status: the state of the member that
// answered (Header.MemberID).
type StatusResponse struct {
	Header   conn.Header
	Endpoint string // the endpoint asked (WithEndpoint), "" when the connection picked one

	Version          string   // the member's etcd version
	StorageVersion   string   // the version of its database file
	DBSize           int64    // bytes the database file takes
	DBSizeInUse      int64    // bytes of it in use; DBSize - DBSizeInUse is what Defragment can give back
	DBSizeQuota      int64    // the member's --quota-backend-bytes
	Leader           uint64   // the member it believes leads, 0 for none
	RaftIndex        uint64   // its committed raft index
	RaftTerm         uint64   // its raft term
	RaftAppliedIndex uint64   // its applied raft index
	Errors           []string // alarms and health problems it reports
	IsLearner        bool     // it is a raft learner
	Downgrade        DowngradeInfo
}

// IsLeader reports whether the member that answered is the leader (false
// for a nil response).
func (s *StatusResponse) IsLeader() bool {
	return s != nil && s.Leader != 0 && s.Leader == s.Header.MemberID
}

// DowngradeInfo says whether a cluster downgrade is under way.
type DowngradeInfo struct {
	Enabled       bool
	TargetVersion string
}

// Response is the answer to Defragment and MoveLeader.
type Response struct {
	Header conn.Header // etcd v3.7 sends an empty one with these two calls

	Endpoint string // the endpoint the call went to, "" when the connection picked one
}

// Status returns the state of one member: the one WithEndpoint names, or
// the one the connection picks.
func Status(ctx context.Context, c *conn.Conn, r Request) (*StatusResponse, error) {
	if err := r.check("status", perEndpointOpts); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := on(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	resp := &pb.StatusResponse{}
	if err := unary.Call(ctx, tc, r.timeout, MethodStatus, connx.Read, &pb.StatusRequest{}, resp); err != nil {
		return nil, err
	}
	out := &StatusResponse{
		Header:           conn.HeaderOf(resp.Header),
		Endpoint:         ep,
		Version:          resp.Version,
		StorageVersion:   resp.StorageVersion,
		DBSize:           resp.DbSize,
		DBSizeInUse:      resp.DbSizeInUse,
		DBSizeQuota:      resp.DbSizeQuota,
		Leader:           resp.Leader,
		RaftIndex:        resp.RaftIndex,
		RaftTerm:         resp.RaftTerm,
		RaftAppliedIndex: resp.RaftAppliedIndex,
		Errors:           resp.Errors,
		IsLearner:        resp.IsLearner,
	}
	if d := resp.DowngradeInfo; d != nil {
		out.Downgrade = DowngradeInfo{Enabled: d.Enabled, TargetVersion: d.TargetVersion}
	}
	return out, nil
}

// Defragment defragments one member's database, giving back the space
// that deleted and compacted data left (StatusResponse.DBSize -
// DBSizeInUse). The member blocks reads and writes while it runs, which
// can take a while on a large database: defragment one member at a time,
// with a generous WithTimeout, and choose it WithEndpoint.
func Defragment(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	if err := r.check("defragment", perEndpointOpts); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := on(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	resp := &pb.DefragmentResponse{}
	if err := unary.Call(ctx, tc, r.timeout, MethodDefragment, connx.Write, &pb.DefragmentRequest{}, resp); err != nil {
		return nil, err
	}
	return &Response{Header: conn.HeaderOf(resp.Header), Endpoint: ep}, nil
}
