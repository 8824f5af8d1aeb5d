package maintenance

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// HashKVResponse is the answer to HashKV.
type HashKVResponse struct {
	Header          conn.Header
	Endpoint        string // the endpoint asked, "" when the connection picked one
	Hash            uint32 // hash of the member's key-value history up to HashRevision
	CompactRevision int64  // the member's compacted revision when hashing began
	HashRevision    int64  // the revision hashed up to
}

// HashResponse is the answer to Hash.
type HashResponse struct {
	Header   conn.Header
	Endpoint string // the endpoint asked, "" when the connection picked one
	Hash     uint32 // hash of the member's whole backend database
}

// HashKV hashes one member's key-value history up to WithRev (the newest
// revision without it). Members that agree on the history give the same
// hash for the same revision, which is how corruption is found: ask each
// member WithEndpoint at one revision.
func HashKV(ctx context.Context, c *conn.Conn, r Request) (*HashKVResponse, error) {
	if err := r.check("hash_kv", hashKVOpts); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := on(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	resp := &pb.HashKVResponse{}
	if err := unary.Call(ctx, tc, r.timeout, MethodHashKV, connx.Read, &pb.HashKVRequest{Revision: r.rev}, resp); err != nil {
		return nil, err
	}
	return &HashKVResponse{Header: conn.HeaderOf(resp.Header), Endpoint: ep, Hash: resp.Hash,
		CompactRevision: resp.CompactRevision, HashRevision: resp.HashRevision}, nil
}

// Hash hashes one member's whole backend database. Unlike HashKV it
// covers data that differs between members by design, so it is for
// testing only; etcd documents it so.
func Hash(ctx context.Context, c *conn.Conn, r Request) (*HashResponse, error) {
	if err := r.check("hash", perEndpointOpts); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := on(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	resp := &pb.HashResponse{}
	if err := unary.Call(ctx, tc, r.timeout, MethodHash, connx.Read, &pb.HashRequest{}, resp); err != nil {
		return nil, err
	}
	return &HashResponse{Header: conn.HeaderOf(resp.Header), Endpoint: ep, Hash: resp.Hash}, nil
}
