// Package lockpb encodes and decodes the four messages of etcd's Lock
// service (etcd's server/etcdserver/api/v3lock/v3lockpb/v3lock.proto),
// whose generated Go types live only in etcd's server module, which the
// library does not import. The field numbers are those of v3lock.proto:
//
//	message LockRequest    { bytes name = 1; int64 lease = 2; }
//	message LockResponse   { etcdserverpb.ResponseHeader header = 1; bytes key = 2; }
//	message UnlockRequest  { bytes key = 1; }
//	message UnlockResponse { etcdserverpb.ResponseHeader header = 1; }
//
// The bytes travel through gRPC's default proto codec as the unknown fields
// of an emptypb.Empty (see Message and Bytes): the codec marshals unknown
// fields as they are and keeps those it does not know when it unmarshals,
// so no codec of getcd's own is needed.
package lockpb

import (
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Full gRPC method names of etcd's Lock service.
const (
	MethodLock   = "/v3lockpb.Lock/Lock"
	MethodUnlock = "/v3lockpb.Lock/Unlock"
)

// Field numbers from v3lock.proto.
const (
	lockReqName  protowire.Number = 1
	lockReqLease protowire.Number = 2
	respHeader   protowire.Number = 1
	lockRespKey  protowire.Number = 2
	unlockReqKey protowire.Number = 1
)

// ErrMalformed is the error of a response that is not a valid message of
// the expected type.
var ErrMalformed = errors.New("malformed response")

// LockResponse is a decoded LockResponse.
type LockResponse struct {
	Header *pb.ResponseHeader // nil when the server sent none
	Key    []byte
}

// UnlockResponse is a decoded UnlockResponse.
type UnlockResponse struct {
	Header *pb.ResponseHeader
}

// AppendLockRequest appends the encoding of LockRequest{name, lease} to b.
// Like the generated code, it leaves out fields with zero values.
func AppendLockRequest(b []byte, name []byte, lease int64) []byte {
	if len(name) > 0 {
		b = protowire.AppendTag(b, lockReqName, protowire.BytesType)
		b = protowire.AppendBytes(b, name)
	}
	if lease != 0 {
		b = protowire.AppendTag(b, lockReqLease, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(lease))
	}
	return b
}

// AppendUnlockRequest appends the encoding of UnlockRequest{key} to b.
func AppendUnlockRequest(b []byte, key []byte) []byte {
	if len(key) > 0 {
		b = protowire.AppendTag(b, unlockReqKey, protowire.BytesType)
		b = protowire.AppendBytes(b, key)
	}
	return b
}

// AppendLockResponse appends the encoding of a LockResponse to b (for tests
// and for checking the decoder against the generated types).
func AppendLockResponse(b []byte, h *pb.ResponseHeader, key []byte) ([]byte, error) {
	b, err := appendHeader(b, h)
	if err != nil {
		return nil, err
	}
	if len(key) > 0 {
		b = protowire.AppendTag(b, lockRespKey, protowire.BytesType)
		b = protowire.AppendBytes(b, key)
	}
	return b, nil
}

// AppendUnlockResponse appends the encoding of an UnlockResponse to b.
func AppendUnlockResponse(b []byte, h *pb.ResponseHeader) ([]byte, error) {
	return appendHeader(b, h)
}

func appendHeader(b []byte, h *pb.ResponseHeader) ([]byte, error) {
	if h == nil {
		return b, nil
	}
	hb, err := proto.MarshalOptions{Deterministic: true}.Marshal(h)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, respHeader, protowire.BytesType)
	return protowire.AppendBytes(b, hb), nil
}

// DecodeLockRequest decodes a LockRequest (for tests).
func DecodeLockRequest(b []byte) (name []byte, lease int64, err error) {
	err = walk(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == lockReqName && typ == protowire.BytesType:
			name = append([]byte(nil), v...)
		case num == lockReqLease && typ == protowire.VarintType:
			lease = int64(n)
		}
		return nil
	})
	return name, lease, err
}

// DecodeUnlockRequest decodes an UnlockRequest (for tests).
func DecodeUnlockRequest(b []byte) (key []byte, err error) {
	err = walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == unlockReqKey && typ == protowire.BytesType {
			key = append([]byte(nil), v...)
		}
		return nil
	})
	return key, err
}

// DecodeLockResponse decodes a LockResponse. Unknown fields, and known
// fields of another wire type, are skipped, as the generated code does; a
// truncated or ill-formed message is an error matching ErrMalformed.
func DecodeLockResponse(b []byte) (LockResponse, error) {
	var r LockResponse
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == respHeader && typ == protowire.BytesType:
			h, err := decodeHeader(v, r.Header)
			r.Header = h
			return err
		case num == lockRespKey && typ == protowire.BytesType:
			r.Key = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return LockResponse{}, err
	}
	return r, nil
}

// DecodeUnlockResponse decodes an UnlockResponse, as DecodeLockResponse
// does.
func DecodeUnlockResponse(b []byte) (UnlockResponse, error) {
	var r UnlockResponse
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != respHeader || typ != protowire.BytesType {
			return nil
		}
		h, err := decodeHeader(v, r.Header)
		r.Header = h
		return err
	})
	if err != nil {
		return UnlockResponse{}, err
	}
	return r, nil
}

// decodeHeader decodes an embedded ResponseHeader. A message field that
// appears twice is merged, as proto requires.
func decodeHeader(v []byte, into *pb.ResponseHeader) (*pb.ResponseHeader, error) {
	if into == nil {
		into = &pb.ResponseHeader{}
	}
	if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(v, into); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	return into, nil
}

// walk calls f for each field of the message b: v is the payload of a
// bytes field, n the value of a varint field.
func walk(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return malformed(tn)
		}
		if num > protowire.MaxValidNumber {
			return fmt.Errorf("%w: field number %d", ErrMalformed, num)
		}
		b = b[tn:]
		var (
			v []byte
			n uint64
			m int
		)
		switch typ {
		case protowire.BytesType:
			v, m = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			n, m = protowire.ConsumeVarint(b)
		default:
			m = protowire.ConsumeFieldValue(num, typ, b)
		}
		if m < 0 {
			return malformed(m)
		}
		b = b[m:]
		if err := f(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

func malformed(n int) error { return fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n)) }
