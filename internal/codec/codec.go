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

// Codec is a grpc-go encoding.CodecV2 for *Request and Unmarshaler values.
// It is stateless and safe for concurrent use.
type Codec struct{}

// Name is "proto": the content subtype a forced codec puts on the wire, the
// one etcd serves.
func (Codec) Name() string { return "proto" }

// Marshal encodes a *Request into one buffer of exactly its size.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	r, ok := v.(*Request)
	if !ok {
		return nil, errors.New("codec: cannot marshal a value that is not a key-value request")
	}
	n := r.Size()
	if mem.IsBelowBufferPoolingThreshold(n) {
		b := r.Append(make([]byte, 0, n))
		if len(b) != n {
			return nil, errSize(n, len(b))
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	b := r.Append((*buf)[:0])
	if len(b) != n {
		pool.Put(buf)
		return nil, errSize(n, len(b))
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// Unmarshal copies the received bytes once into a fresh slice and hands it
// to the Unmarshaler.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	u, ok := v.(Unmarshaler)
	if !ok {
		return errors.New("codec: cannot unmarshal into a value that is not a key-value response")
	}
	return u.UnmarshalWire(data.Materialize())
}
