package codec

import (
	"errors"

	"google.golang.org/grpc/mem"
)

// Unmarshaler is what a response given to the codec implements: it decodes
// the response's wire bytes, which it owns from then on (they are a fresh
// copy, never written by anyone else), so that its results may alias them.
type Unmarshaler interface {
	UnmarshalWire(b []byte) error
}

// Codec is a grpc-go encoding.CodecV2 for Message and Unmarshaler values.
// It is stateless and safe for concurrent use.
type Codec struct{}

// Name is empty. gRPC makes a forced codec's name the call's content
// subtype; an empty one leaves the content type "application/grpc", which
// means protobuf: the header a call through gRPC's own proto codec sends,
// the one etcd serves, without the "application/grpc+proto" string gRPC
// would otherwise build for every call. The codec is never registered (an
// empty name could not be).
func (Codec) Name() string { return "" }

// Marshal encodes a Message into one buffer of exactly its size, taken
// from gRPC's buffer pool and given back by gRPC once written. Small
// requests take a buffer of at least poolMin bytes: gRPC's pool hands a
// smaller one out as an unpooled SliceBuffer, which costs two allocations
// per call, while a pooled one costs none.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	r, ok := v.(Message)
	if !ok {
		return nil, errors.New("codec: cannot marshal a value that is not a key-value request")
	}
	n := r.WireSize()
	pool := mem.DefaultBufferPool()
	buf := pool.Get(max(n, poolMin))
	b := r.AppendWire((*buf)[:0])
	if len(b) != n || cap(b) != cap(*buf) {
		pool.Put(buf)
		return nil, errSize(n, len(b))
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// poolMin is the smallest buffer gRPC's pool keeps (mem's pooling
// threshold).
const poolMin = 1 << 10

// Unmarshal copies the received bytes once into a fresh slice and hands it
// to the Unmarshaler.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	u, ok := v.(Unmarshaler)
	if !ok {
		return errors.New("codec: cannot unmarshal into a value that is not a key-value response")
	}
	return u.UnmarshalWire(data.Materialize())
}
