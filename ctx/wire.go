package kv

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/wire"
)

// The Wire methods are for getcd's own connection code, which alone can
// supply a wire.Token. They compile like their public counterparts, but the
// message's key, range end and value share memory with the request's strings
// instead of being copied: the message goes straight to gRPC, which only
// reads it, and must never be written or given to user code.

// RangeWire is RangeRequest without copying keys.
func (r Request) RangeWire(_ wire.Token) (*pb.RangeRequest, error) {
	return r.rangeRequest(wire.Alias)
}

// PutWire is PutRequest without copying the key and value.
func (r Request) PutWire(_ wire.Token) (*pb.PutRequest, error) { return r.putRequest(wire.Alias) }

// DeleteWire is DeleteRequest without copying keys.
func (r Request) DeleteWire(_ wire.Token) (*pb.DeleteRangeRequest, error) {
	return r.deleteRequest(wire.Alias)
}
