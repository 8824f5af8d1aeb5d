// Package rawpb carries messages getcd encodes itself (etcd's Lock and
// Election services, whose Go types live only in etcd's server module)
// through gRPC's default proto codec: the bytes travel as the unknown
// fields of an empty message, which the codec sends and receives
// unchanged.
package rawpb

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Message wraps encoded bytes in a message gRPC's proto codec sends as
// they are.
func Message(b []byte) proto.Message {
	m := &emptypb.Empty{}
	m.ProtoReflect().SetUnknown(b)
	return m
}

// NewResponse returns a message to receive an answer into; Bytes reads it.
func NewResponse() proto.Message { return &emptypb.Empty{} }

// Bytes returns the encoded bytes a message received by NewResponse (or
// from a stream into one) holds.
func Bytes(m proto.Message) []byte { return m.ProtoReflect().GetUnknown() }
