package kv

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/wire"
)

// The Wire methods are for getcd's own packages, which alone can supply a
// wire.Token. They compile like their public counterparts in the mode they
// are given: wire.Copy builds the same fresh message, wire.Alias lets the
// message's key, range end and value share memory with the request's strings
// instead of copying them. An aliased message goes straight to gRPC, which
// only reads it; it must never be written or given to user code.

// RangeWire is RangeRequest in mode m.
func (r Request) RangeWire(_ wire.Token, m wire.Mode) (*pb.RangeRequest, error) {
	return r.rangeRequest(m)
}

// PutWire is PutRequest in mode m.
func (r Request) PutWire(_ wire.Token, m wire.Mode) (*pb.PutRequest, error) {
	return r.putRequest(m)
}

// DeleteWire is DeleteRequest in mode m.
func (r Request) DeleteWire(_ wire.Token, m wire.Mode) (*pb.DeleteRangeRequest, error) {
	return r.deleteRequest(m)
}
