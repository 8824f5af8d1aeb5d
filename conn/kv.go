package conn

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// Full gRPC method names of the KV service.
const (
	MethodRange       = "/etcdserverpb.KV/Range"
	MethodPut         = "/etcdserverpb.KV/Put"
	MethodDeleteRange = "/etcdserverpb.KV/DeleteRange"
	MethodTxn         = "/etcdserverpb.KV/Txn"
	MethodCompact     = "/etcdserverpb.KV/Compact"
)

// Get runs a range request. Reads are retried on another endpoint when one
// is unavailable, within the deadline.
func (c *Conn) Get(ctx context.Context, r kv.Request) (*GetResponse, error) {
	m, err := r.RangeRequest()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestTimeout(ctx, r.Timeout())
	defer cancel()
	resp := &pb.RangeResponse{}
	if err := c.Invoke(ctx, MethodRange, m, resp, false); err != nil {
		return nil, err
	}
	return getResponse(resp), nil
}

// Put runs a put. A put is never sent twice: if its fate is unknown the
// error matches ErrUnknownOutcome.
func (c *Conn) Put(ctx context.Context, r kv.Request) (*PutResponse, error) {
	m, err := r.PutRequest()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestTimeout(ctx, r.Timeout())
	defer cancel()
	resp := &pb.PutResponse{}
	if err := c.Invoke(ctx, MethodPut, m, resp, true); err != nil {
		return nil, err
	}
	return putResponse(resp), nil
}

// Delete runs a delete of a key or range.
func (c *Conn) Delete(ctx context.Context, r kv.Request) (*DeleteResponse, error) {
	m, err := r.DeleteRequest()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestTimeout(ctx, r.Timeout())
	defer cancel()
	resp := &pb.DeleteRangeResponse{}
	if err := c.Invoke(ctx, MethodDeleteRange, m, resp, true); err != nil {
		return nil, err
	}
	return deleteResponse(resp), nil
}

// Txn runs a transaction.
func (c *Conn) Txn(ctx context.Context, t op.Txn) (*TxnResponse, error) {
	m, err := t.Compile()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestTimeout(ctx, t.Timeout())
	defer cancel()
	resp := &pb.TxnResponse{}
	if err := c.Invoke(ctx, MethodTxn, m, resp, hasWrite(m)); err != nil {
		return nil, err
	}
	return txnResponse(resp), nil
}

// Compact compacts the key-value history up to r's revision (WithRev),
// waiting for the physical removal with WithPhysical.
func (c *Conn) Compact(ctx context.Context, r kv.Request) (*CompactResponse, error) {
	m, err := r.CompactRequest()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.requestTimeout(ctx, r.Timeout())
	defer cancel()
	resp := &pb.CompactionResponse{}
	if err := c.Invoke(ctx, MethodCompact, m, resp, true); err != nil {
		return nil, err
	}
	return &CompactResponse{Header: header(resp.Header)}, nil
}

// hasWrite says whether a transaction can change the store.
func hasWrite(t *pb.TxnRequest) bool {
	for _, ops := range [2][]*pb.RequestOp{t.Success, t.Failure} {
		for _, o := range ops {
			switch v := o.Request.(type) {
			case *pb.RequestOp_RequestPut, *pb.RequestOp_RequestDeleteRange:
				return true
			case *pb.RequestOp_RequestTxn:
				if hasWrite(v.RequestTxn) {
					return true
				}
			}
		}
	}
	return false
}
