package conn

import (
	"fmt"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
)

// Sinks keep the benchmarked conversions from being optimized away.
var (
	sinkGet *GetResponse
	sinkTxn *TxnResponse
)

// benchHeader is a header as a single-member etcd sends it.
func benchHeader() *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: 0x1c6a2b3f4e5d6a7b, MemberId: 0x8e9f0a1b2c3d4e5f, Revision: 123456, RaftTerm: 3}
}

// benchRange is a realistic answer to a prefix get with limit 10: ten keys
// of about 20 bytes with 16-byte values, More set because the prefix holds
// more keys, and the count of all of them.
func benchRange() *pb.RangeResponse {
	r := &pb.RangeResponse{Header: benchHeader(), More: true, Count: 100}
	for i := range 10 {
		r.Kvs = append(r.Kvs, &mvccpb.KeyValue{
			Key:            fmt.Appendf(nil, "getcd-bench/prefix/%03d", i),
			Value:          []byte("0123456789abcdef"),
			CreateRevision: int64(1000 + i),
			ModRevision:    int64(120000 + i),
			Version:        int64(1 + i%3),
		})
	}
	return r
}

// benchTxn is a transaction answer with three branches' worth of work: the
// ten-key range above, a put with its previous key and a delete.
func benchTxn() *pb.TxnResponse {
	h := benchHeader()
	return &pb.TxnResponse{Header: h, Succeeded: true, Responses: []*pb.ResponseOp{
		{Response: &pb.ResponseOp_ResponseRange{ResponseRange: benchRange()}},
		{Response: &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{Header: h, PrevKv: &mvccpb.KeyValue{
			Key: []byte("getcd-bench/cas/0"), Value: []byte("0123456789abcdef"), CreateRevision: 99, ModRevision: 123455, Version: 7,
		}}}},
		{Response: &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: &pb.DeleteRangeResponse{Header: h, Deleted: 1}}},
	}}
}

// BenchmarkGetResponse maps a ten-key range answer to a GetResponse, the
// work conn.Get does after every range on top of gRPC.
func BenchmarkGetResponse(b *testing.B) {
	r := benchRange()
	b.ReportAllocs()
	for b.Loop() {
		sinkGet = getResponse(r)
	}
}

// BenchmarkTxnResponse maps a transaction answer holding a ten-key range, a
// put with prev_kv and a delete.
func BenchmarkTxnResponse(b *testing.B) {
	r := benchTxn()
	b.ReportAllocs()
	for b.Loop() {
		sinkTxn = txnResponse(r)
	}
}

// BenchmarkTxnResponseCAS maps the answer of a compare-and-swap that
// succeeded: one put without prev_kv.
func BenchmarkTxnResponseCAS(b *testing.B) {
	h := benchHeader()
	r := &pb.TxnResponse{Header: h, Succeeded: true, Responses: []*pb.ResponseOp{
		{Response: &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{Header: h}}},
	}}
	b.ReportAllocs()
	for b.Loop() {
		sinkTxn = txnResponse(r)
	}
}
