package conn

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/getcd/getcd/op"
)

// Header is the response header etcd attaches to every answer.
type Header struct {
	ClusterID uint64 // the cluster that answered
	MemberID  uint64 // the member that answered
	Revision  int64  // the store's revision when the request was served
	RaftTerm  uint64 // the raft term when the request was served
}

// KeyValue is one key as etcd stores it.
//
// The keys and values of one answer to Get, Put, Delete or Txn share one
// buffer: the response is copied once out of gRPC's buffers and decoded
// in place, one allocation per response rather than two per key. Treat them
// as read-only views. Each Key and Value is clipped to its own length, so
// an append copies instead of writing into its neighbour; but keeping one
// small KeyValue of a large range alive keeps the whole buffer alive, so
// copy (bytes.Clone) what you keep for long out of a large answer.
type KeyValue struct {
	Key            []byte
	Value          []byte
	CreateRevision int64 // revision of the last creation of the key
	ModRevision    int64 // revision of the last change to the key
	Version        int64 // number of puts since creation; 1 after the first
	Lease          int64 // ID of the attached lease, 0 for none
}

// GetResponse is the answer to a range request.
type GetResponse struct {
	Header Header
	KVs    []KeyValue
	More   bool  // more keys matched than the limit let through
	Count  int64 // keys in the range (all of them, whatever the limit)
}

// PutResponse is the answer to a put.
type PutResponse struct {
	Header Header
	PrevKV *KeyValue // the key before the put, with WithPrevKV and if it existed
}

// DeleteResponse is the answer to a delete.
type DeleteResponse struct {
	Header  Header
	Deleted int64      // number of keys deleted
	PrevKVs []KeyValue // the deleted keys, with WithPrevKV
}

// CompactResponse is the answer to a compaction.
type CompactResponse struct {
	Header Header
}

// TxnResponse is the answer to a transaction.
type TxnResponse struct {
	Header    Header
	Succeeded bool         // every condition held, so Then ran
	Responses []OpResponse // one per operation of the branch that ran
}

// OpResponse is the answer to one operation of a transaction; the field
// matching Kind is set.
type OpResponse struct {
	Kind   op.Kind
	Get    *GetResponse
	Put    *PutResponse
	Delete *DeleteResponse
	Txn    *TxnResponse
}

// HeaderOf converts etcd's response header; nil gives the zero Header. It is
// for packages built on conn that receive etcd's messages themselves (the
// lease, watch and admin packages), so that every result carries the same
// Header.
func HeaderOf(h *pb.ResponseHeader) Header { return header(h) }

// KeyValueOf converts one of etcd's key-values without copying its bytes:
// the result shares Key and Value with kv. nil gives the zero KeyValue. Every
// key that getcd hands back passes through here (or keyValues), so that a
// connection-level key namespace has one place to strip its prefix.
func KeyValueOf(kv *mvccpb.KeyValue) KeyValue {
	if kv == nil {
		return KeyValue{}
	}
	return keyValue(kv)
}

func header(h *pb.ResponseHeader) Header {
	if h == nil {
		return Header{}
	}
	return Header{ClusterID: h.ClusterId, MemberID: h.MemberId, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

// keyValue converts without copying the bytes: the protobuf message is ours
// and is dropped after conversion.
func keyValue(kv *mvccpb.KeyValue) KeyValue {
	return KeyValue{Key: kv.Key, Value: kv.Value, CreateRevision: kv.CreateRevision, ModRevision: kv.ModRevision, Version: kv.Version, Lease: kv.Lease}
}

func keyValues(in []*mvccpb.KeyValue) []KeyValue {
	if len(in) == 0 {
		return nil
	}
	out := make([]KeyValue, len(in))
	for i, kv := range in {
		out[i] = keyValue(kv)
	}
	return out
}

func getResponse(r *pb.RangeResponse) *GetResponse {
	return &GetResponse{Header: header(r.Header), KVs: keyValues(r.Kvs), More: r.More, Count: r.Count}
}

func putResponse(r *pb.PutResponse) *PutResponse {
	out := &PutResponse{Header: header(r.Header)}
	if r.PrevKv != nil {
		kv := keyValue(r.PrevKv)
		out.PrevKV = &kv
	}
	return out
}

func deleteResponse(r *pb.DeleteRangeResponse) *DeleteResponse {
	return &DeleteResponse{Header: header(r.Header), Deleted: r.Deleted, PrevKVs: keyValues(r.PrevKvs)}
}

func txnResponse(r *pb.TxnResponse) *TxnResponse {
	out := &TxnResponse{Header: header(r.Header), Succeeded: r.Succeeded}
	if len(r.Responses) > 0 {
		out.Responses = make([]OpResponse, len(r.Responses))
		for i, ro := range r.Responses {
			switch v := ro.Response.(type) {
			case *pb.ResponseOp_ResponseRange:
				out.Responses[i] = OpResponse{Kind: op.KindGet, Get: getResponse(v.ResponseRange)}
			case *pb.ResponseOp_ResponsePut:
				out.Responses[i] = OpResponse{Kind: op.KindPut, Put: putResponse(v.ResponsePut)}
			case *pb.ResponseOp_ResponseDeleteRange:
				out.Responses[i] = OpResponse{Kind: op.KindDelete, Delete: deleteResponse(v.ResponseDeleteRange)}
			case *pb.ResponseOp_ResponseTxn:
				out.Responses[i] = OpResponse{Kind: op.KindTxn, Txn: txnResponse(v.ResponseTxn)}
			}
		}
	}
	return out
}
