// Package electionpb encodes the requests and decodes the responses of
// etcd's server-side Election service (v3electionpb), whose generated Go
// types live only in etcd's server module, which getcd's library does not
// import. The field numbers are those of etcd's
// server/etcdserver/api/v3election/v3electionpb/v3election.proto (v3.7.3):
//
//	CampaignRequest  { bytes name = 1; int64 lease = 2; bytes value = 3; }
//	CampaignResponse { ResponseHeader header = 1; LeaderKey leader = 2; }
//	LeaderKey        { bytes name = 1; bytes key = 2; int64 rev = 3; int64 lease = 4; }
//	LeaderRequest    { bytes name = 1; }
//	LeaderResponse   { ResponseHeader header = 1; mvccpb.KeyValue kv = 2; }
//	ResignRequest    { LeaderKey leader = 1; }
//	ResignResponse   { ResponseHeader header = 1; }
//	ProclaimRequest  { LeaderKey leader = 1; bytes value = 2; }
//	ProclaimResponse { ResponseHeader header = 1; }
//
// Encoding follows proto3 and Go's protobuf marshaller: fields in number
// order, scalars at their zero value left out, an embedded message written
// whenever it is present. Decoding follows proto3 too: unknown fields and
// known fields of an unexpected wire type are skipped, a repeated scalar
// keeps its last value, repeated embedded messages are merged; malformed
// input is an error, never a panic. The embedded ResponseHeader and
// KeyValue are etcd's own messages from go.etcd.io/etcd/api/v3.
package electionpb

import (
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// ErrMalformed is matched by every decoding error.
var ErrMalformed = errors.New("electionpb: malformed message")

// LeaderKey is etcd's v3electionpb.LeaderKey.
type LeaderKey struct {
	Name  []byte
	Key   []byte
	Rev   int64
	Lease int64
}

// CampaignResponse is etcd's v3electionpb.CampaignResponse; absent
// embedded messages are nil.
type CampaignResponse struct {
	Header *pb.ResponseHeader
	Leader *LeaderKey
}

// LeaderResponse is etcd's v3electionpb.LeaderResponse.
type LeaderResponse struct {
	Header *pb.ResponseHeader
	KV     *mvccpb.KeyValue
}

// HeaderResponse is ResignResponse and ProclaimResponse, which hold only a
// header.
type HeaderResponse struct {
	Header *pb.ResponseHeader
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendInt64(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func sizeLeaderKey(k *LeaderKey) int {
	n := 0
	if len(k.Name) > 0 {
		n += protowire.SizeTag(1) + protowire.SizeBytes(len(k.Name))
	}
	if len(k.Key) > 0 {
		n += protowire.SizeTag(2) + protowire.SizeBytes(len(k.Key))
	}
	if k.Rev != 0 {
		n += protowire.SizeTag(3) + protowire.SizeVarint(uint64(k.Rev))
	}
	if k.Lease != 0 {
		n += protowire.SizeTag(4) + protowire.SizeVarint(uint64(k.Lease))
	}
	return n
}

// AppendLeaderKey appends k's fields (the body of a LeaderKey message).
func AppendLeaderKey(b []byte, k *LeaderKey) []byte {
	b = appendBytes(b, 1, k.Name)
	b = appendBytes(b, 2, k.Key)
	b = appendInt64(b, 3, k.Rev)
	return appendInt64(b, 4, k.Lease)
}

// appendLeaderField appends k as the embedded message field num.
func appendLeaderField(b []byte, num protowire.Number, k *LeaderKey) []byte {
	if k == nil {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(sizeLeaderKey(k)))
	return AppendLeaderKey(b, k)
}

// AppendCampaignRequest appends a CampaignRequest.
func AppendCampaignRequest(b, name []byte, lease int64, value []byte) []byte {
	b = appendBytes(b, 1, name)
	b = appendInt64(b, 2, lease)
	return appendBytes(b, 3, value)
}

// AppendLeaderRequest appends a LeaderRequest (also Observe's request).
func AppendLeaderRequest(b, name []byte) []byte { return appendBytes(b, 1, name) }

// AppendResignRequest appends a ResignRequest; a nil leader is left out.
func AppendResignRequest(b []byte, leader *LeaderKey) []byte {
	return appendLeaderField(b, 1, leader)
}

// AppendProclaimRequest appends a ProclaimRequest; a nil leader is left out.
func AppendProclaimRequest(b []byte, leader *LeaderKey, value []byte) []byte {
	b = appendLeaderField(b, 1, leader)
	return appendBytes(b, 2, value)
}

// field is one decoded field: its number, wire type and, for the types
// this package reads, its value.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	u    uint64
	data []byte
}

// fields calls fn for every field of b, in order.
func fields(b []byte, msg string, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return malformed(msg, "tag", protowire.ParseError(n))
		}
		if num > protowire.MaxValidNumber { // ConsumeTag leaves this check to its callers; etcd's decoder refuses it
			return fmt.Errorf("%w: %s: field number %d", ErrMalformed, msg, num)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.data, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return malformed(msg, fmt.Sprintf("field %d", num), protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func malformed(msg, where string, err error) error {
	return fmt.Errorf("%w: %s: %s: %v", ErrMalformed, msg, where, err)
}

// mergeHeader merges an embedded ResponseHeader into *h.
func mergeHeader(h **pb.ResponseHeader, data []byte, msg string) error {
	if *h == nil {
		*h = &pb.ResponseHeader{}
	}
	if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(data, *h); err != nil {
		return malformed(msg, "header", err)
	}
	return nil
}

// DecodeLeaderKey merges the LeaderKey message b into k.
func DecodeLeaderKey(b []byte, k *LeaderKey) error {
	return fields(b, "LeaderKey", func(f field) error {
		switch {
		case f.num == 1 && f.typ == protowire.BytesType:
			k.Name = f.data
		case f.num == 2 && f.typ == protowire.BytesType:
			k.Key = f.data
		case f.num == 3 && f.typ == protowire.VarintType:
			k.Rev = int64(f.u)
		case f.num == 4 && f.typ == protowire.VarintType:
			k.Lease = int64(f.u)
		}
		return nil
	})
}

// DecodeCampaignResponse decodes a CampaignResponse.
func DecodeCampaignResponse(b []byte) (CampaignResponse, error) {
	var r CampaignResponse
	err := fields(b, "CampaignResponse", func(f field) error {
		if f.typ != protowire.BytesType {
			return nil
		}
		switch f.num {
		case 1:
			return mergeHeader(&r.Header, f.data, "CampaignResponse")
		case 2:
			if r.Leader == nil {
				r.Leader = &LeaderKey{}
			}
			return DecodeLeaderKey(f.data, r.Leader)
		}
		return nil
	})
	return r, err
}

// DecodeLeaderResponse decodes a LeaderResponse.
func DecodeLeaderResponse(b []byte) (LeaderResponse, error) {
	var r LeaderResponse
	err := fields(b, "LeaderResponse", func(f field) error {
		if f.typ != protowire.BytesType {
			return nil
		}
		switch f.num {
		case 1:
			return mergeHeader(&r.Header, f.data, "LeaderResponse")
		case 2:
			if r.KV == nil {
				r.KV = &mvccpb.KeyValue{}
			}
			if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(f.data, r.KV); err != nil {
				return malformed("LeaderResponse", "kv", err)
			}
		}
		return nil
	})
	return r, err
}

// DecodeHeaderResponse decodes a ResignResponse or a ProclaimResponse.
func DecodeHeaderResponse(b []byte) (HeaderResponse, error) {
	var r HeaderResponse
	err := fields(b, "HeaderResponse", func(f field) error {
		if f.num == 1 && f.typ == protowire.BytesType {
			return mergeHeader(&r.Header, f.data, "HeaderResponse")
		}
		return nil
	})
	return r, err
}
