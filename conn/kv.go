package conn

import (
	"context"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
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

// Get, Put, Delete and Txn encode their requests and decode their answers
// with getcd's own wire codec unless Config.GeneratedMessages (or
// GETCD_CODEC=generated) says otherwise; see the package documentation on
// results. Compact, a rare call, always uses etcd's generated messages.

// Get runs a range request. Reads are retried on another endpoint when one
// is unavailable, within the deadline.
func (c *Conn) Get(ctx context.Context, r kv.Request) (*GetResponse, error) {
	if c.usesCodec() {
		f, err := rangeFields(r, wire.Alias)
		if c.co != nil && err == nil && !r.NoCoalesce() {
			res, err := c.coalesce(ctx, r.Timeout(), wire.OpFields{Kind: wire.OpRange, Range: f})
			return res.Get, err
		}
		return codecUnary(c, ctx, r.Timeout(), MethodRange, false, codec.Range{Fields: f}, err, decodeGet)
	}
	m, err := rangeWire(r, wire.Alias)
	return unary(c, ctx, r.Timeout(), MethodRange, false, m, err, &pb.RangeResponse{}, getResponse)
}

// Put runs a put. A put is never sent twice: if its fate is unknown the
// error matches ErrUnknownOutcome.
func (c *Conn) Put(ctx context.Context, r kv.Request) (*PutResponse, error) {
	if c.usesCodec() {
		f, err := putFields(r, wire.Alias)
		if c.co != nil && err == nil && !r.NoCoalesce() {
			res, err := c.coalesce(ctx, r.Timeout(), wire.OpFields{Kind: wire.OpPut, Put: f})
			return res.Put, err
		}
		return codecUnary(c, ctx, r.Timeout(), MethodPut, true, codec.Put{Fields: f}, err, decodePut)
	}
	m, err := putWire(r, wire.Alias)
	return unary(c, ctx, r.Timeout(), MethodPut, true, m, err, &pb.PutResponse{}, putResponse)
}

// Delete runs a delete of a key or range.
func (c *Conn) Delete(ctx context.Context, r kv.Request) (*DeleteResponse, error) {
	if c.usesCodec() {
		f, err := deleteFields(r, wire.Alias)
		if c.co != nil && err == nil && !r.NoCoalesce() {
			res, err := c.coalesce(ctx, r.Timeout(), wire.OpFields{Kind: wire.OpDelete, Delete: f})
			return res.Delete, err
		}
		return codecUnary(c, ctx, r.Timeout(), MethodDeleteRange, true, codec.Delete{Fields: f}, err, decodeDelete)
	}
	m, err := deleteWire(r, wire.Alias)
	return unary(c, ctx, r.Timeout(), MethodDeleteRange, true, m, err, &pb.DeleteRangeResponse{}, deleteResponse)
}

// Txn runs a transaction. Only a transaction that can write is treated as
// a write when its outcome is unknown.
func (c *Conn) Txn(ctx context.Context, t op.Txn) (*TxnResponse, error) {
	if c.usesCodec() {
		f, err := txnFields(t, wire.Alias)
		return codecUnary(c, ctx, t.Timeout(), MethodTxn, f.Write, codec.Txn{Fields: f}, err, decodeTxn)
	}
	m, err := txnWire(t, wire.Alias)
	write := err == nil && hasWrite(m)
	return unary(c, ctx, t.Timeout(), MethodTxn, write, m, err, &pb.TxnResponse{}, txnResponse)
}

// Compact compacts the key-value history up to r's revision (WithRev),
// waiting for the physical removal with WithPhysical.
func (c *Conn) Compact(ctx context.Context, r kv.Request) (*CompactResponse, error) {
	m, err := r.CompactRequest()
	return unary(c, ctx, r.Timeout(), MethodCompact, true, m, err, &pb.CompactionResponse{}, compactResponse)
}

// coalesce runs one range, put or delete through the connection's
// coalescer, with the request's own timeout.
func (c *Conn) coalesce(ctx context.Context, timeout time.Duration, o wire.OpFields) (OpResponse, error) {
	ctx, cancel := c.requestTimeout(ctx, timeout)
	defer cancel()
	return c.co.do(ctx, o)
}

// The builders' no-copy compilers (see internal/wire), set by packages kv
// and op in their init.
var (
	rangeWire  = wire.Range.(func(kv.Request, wire.Mode) (*pb.RangeRequest, error))
	putWire    = wire.Put.(func(kv.Request, wire.Mode) (*pb.PutRequest, error))
	deleteWire = wire.Delete.(func(kv.Request, wire.Mode) (*pb.DeleteRangeRequest, error))
	txnWire    = wire.Txn.(func(op.Txn, wire.Mode) (*pb.TxnRequest, error))

	rangeFields  = wire.RangeOf.(func(kv.Request, wire.Mode) (wire.RangeFields, error))
	putFields    = wire.PutOf.(func(kv.Request, wire.Mode) (wire.PutFields, error))
	deleteFields = wire.DeleteOf.(func(kv.Request, wire.Mode) (wire.DeleteFields, error))
	txnFields    = wire.TxnOf.(func(op.Txn, wire.Mode) (wire.TxnFields, error))
)

// unary runs one compiled request: compile error first, then the
// per-request timeout, the call and the conversion of the answer.
func unary[M, R proto.Message, O any](c *Conn, ctx context.Context, timeout time.Duration, method string, write bool,
	m M, compileErr error, resp R, convert func(R) O) (O, error) {
	var zero O
	if compileErr != nil {
		return zero, compileErr
	}
	if err := c.usable(method); err != nil {
		return zero, err
	}
	ctx, cancel := c.requestTimeout(ctx, timeout)
	defer cancel()
	if err := c.invoke(ctx, method, m, resp, write); err != nil {
		return zero, err
	}
	return convert(resp), nil
}

func compactResponse(r *pb.CompactionResponse) *CompactResponse {
	return &CompactResponse{Header: header(r.Header)}
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
