package membership

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// Full gRPC method names of etcd's Cluster service.
const (
	MethodMemberList    = "/etcdserverpb.Cluster/MemberList"
	MethodMemberAdd     = "/etcdserverpb.Cluster/MemberAdd"
	MethodMemberRemove  = "/etcdserverpb.Cluster/MemberRemove"
	MethodMemberUpdate  = "/etcdserverpb.Cluster/MemberUpdate"
	MethodMemberPromote = "/etcdserverpb.Cluster/MemberPromote"
)

// List lists the cluster's members, learners and members that have not
// started included.
func List(ctx context.Context, c *conn.Conn, r Request) (*MembersResponse, error) {
	m, err := r.ListRequest()
	if err != nil {
		return nil, err
	}
	resp := &pb.MemberListResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodMemberList, connx.Read, m, resp); err != nil {
		return nil, err
	}
	return &MembersResponse{Header: conn.HeaderOf(resp.Header), Members: membersOf(resp.Members)}, nil
}

// Add adds a member with r's peer URLs, as a learner with AsLearner. The
// new member's process must then be started with the cluster's members in
// its initial cluster and the initial cluster state "existing".
func Add(ctx context.Context, c *conn.Conn, r Request) (*AddResponse, error) {
	m, err := r.AddRequest()
	if err != nil {
		return nil, err
	}
	resp := &pb.MemberAddResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodMemberAdd, connx.Write, m, resp); err != nil {
		return nil, err
	}
	return &AddResponse{Header: conn.HeaderOf(resp.Header), Member: memberOf(resp.Member), Members: membersOf(resp.Members)}, nil
}

// Remove removes the member r.WithID names. An unknown ID fails with
// conn.ErrMemberNotFound.
func Remove(ctx context.Context, c *conn.Conn, r Request) (*MembersResponse, error) {
	m, err := r.RemoveRequest()
	if err != nil {
		return nil, err
	}
	resp := &pb.MemberRemoveResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodMemberRemove, connx.Write, m, resp); err != nil {
		return nil, err
	}
	return &MembersResponse{Header: conn.HeaderOf(resp.Header), Members: membersOf(resp.Members)}, nil
}

// Update replaces the peer URLs of the member r.WithID names.
func Update(ctx context.Context, c *conn.Conn, r Request) (*MembersResponse, error) {
	m, err := r.UpdateRequest()
	if err != nil {
		return nil, err
	}
	resp := &pb.MemberUpdateResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodMemberUpdate, connx.Write, m, resp); err != nil {
		return nil, err
	}
	return &MembersResponse{Header: conn.HeaderOf(resp.Header), Members: membersOf(resp.Members)}, nil
}

// Promote makes the learner r.WithID names a voting member. etcd refuses
// while the learner's log lags the leader's (conn.ErrLearnerNotReady; try
// again later) and for a member that is not a learner
// (conn.ErrMemberNotLearner).
func Promote(ctx context.Context, c *conn.Conn, r Request) (*MembersResponse, error) {
	m, err := r.PromoteRequest()
	if err != nil {
		return nil, err
	}
	resp := &pb.MemberPromoteResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodMemberPromote, connx.Write, m, resp); err != nil {
		return nil, err
	}
	return &MembersResponse{Header: conn.HeaderOf(resp.Header), Members: membersOf(resp.Members)}, nil
}
