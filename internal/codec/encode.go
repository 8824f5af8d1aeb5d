package codec

import (
	"errors"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/getcd/getcd/internal/wire"
)

// Field numbers of etcd's rpc.proto (etcdserverpb), checked against the
// generated messages' descriptors by the tests.
const (
	rangeKey, rangeEnd, rangeLimit, rangeRevision, rangeSortOrder, rangeSortTarget = 1, 2, 3, 4, 5, 6
	rangeSerializable, rangeKeysOnly, rangeCountOnly                               = 7, 8, 9
	rangeMinMod, rangeMaxMod, rangeMinCreate, rangeMaxCreate                       = 10, 11, 12, 13

	putKey, putValue, putLease, putPrevKV, putIgnoreValue, putIgnoreLease = 1, 2, 3, 4, 5, 6

	deleteKey, deleteEnd, deletePrevKV = 1, 2, 3

	opRange, opPut, opDelete, opTxn = 1, 2, 3, 4

	txnCompare, txnSuccess, txnFailure = 1, 2, 3

	cmpResult, cmpTarget, cmpKey, cmpVersion, cmpCreate, cmpMod, cmpValue, cmpLease, cmpRangeEnd = 1, 2, 3, 4, 5, 6, 7, 8, 64
)

// Message is one key-value request to encode: *Range, *Put, *Delete or
// *Txn. WireSize computes the encoded size once and keeps it (with, for a
// transaction, the sizes of its nested messages) for AppendWire.
type Message interface {
	WireSize() int
	AppendWire(b []byte) []byte
}

// Range is a range request as the builder validated it.
type Range struct {
	Fields wire.RangeFields
	size   int // encoded size plus one, once computed
}

// Put is a put as the builder validated it.
type Put struct {
	Fields wire.PutFields
	size   int // encoded size plus one, once computed
}

// Delete is a delete as the builder validated it.
type Delete struct {
	Fields wire.DeleteFields
	size   int // encoded size plus one, once computed
}

// Txn is a transaction as the builders' aliasing compile built it; the
// message is only read.
type Txn struct {
	Msg   *pb.TxnRequest
	size  int   // encoded size plus one, once computed
	sizes []int // lengths of the nested messages, in write order
}

// WireSize returns the encoded size.
func (r *Range) WireSize() int {
	if r.size == 0 {
		r.size = sizeRange(&r.Fields) + 1
	}
	return r.size - 1
}

// AppendWire appends the encoded request to b.
func (r *Range) AppendWire(b []byte) []byte { return appendRange(b, &r.Fields) }

// WireSize returns the encoded size.
func (r *Put) WireSize() int {
	if r.size == 0 {
		r.size = sizePut(&r.Fields) + 1
	}
	return r.size - 1
}

// AppendWire appends the encoded request to b.
func (r *Put) AppendWire(b []byte) []byte { return appendPut(b, &r.Fields) }

// WireSize returns the encoded size.
func (r *Delete) WireSize() int {
	if r.size == 0 {
		r.size = sizeDelete(&r.Fields) + 1
	}
	return r.size - 1
}

// AppendWire appends the encoded request to b.
func (r *Delete) AppendWire(b []byte) []byte { return appendDelete(b, &r.Fields) }

// WireSize returns the encoded size, sizing every nested message once.
func (r *Txn) WireSize() int {
	if r.size == 0 {
		r.sizes = r.sizes[:0]
		if r.Msg != nil {
			r.size = sizeTxn(r.Msg, &r.sizes)
		}
		r.size++
	}
	return r.size - 1
}

// AppendWire appends the encoded request to b.
func (r *Txn) AppendWire(b []byte) []byte {
	r.WireSize() // the sizes of the nested messages
	if r.Msg == nil {
		return b
	}
	i := 0
	return appendTxn(b, r.Msg, r.sizes, &i)
}

// The fields of the messages nested in a transaction.

func rangeOf(m *pb.RangeRequest) wire.RangeFields {
	return wire.RangeFields{Key: m.Key, End: m.RangeEnd, Limit: m.Limit, Revision: m.Revision,
		SortOrder: int32(m.SortOrder), SortTarget: int32(m.SortTarget),
		Serializable: m.Serializable, KeysOnly: m.KeysOnly, CountOnly: m.CountOnly,
		MinModRevision: m.MinModRevision, MaxModRevision: m.MaxModRevision,
		MinCreateRevision: m.MinCreateRevision, MaxCreateRevision: m.MaxCreateRevision}
}

func putOf(m *pb.PutRequest) wire.PutFields {
	return wire.PutFields{Key: m.Key, Value: m.Value, Lease: m.Lease, PrevKV: m.PrevKv, IgnoreValue: m.IgnoreValue, IgnoreLease: m.IgnoreLease}
}

func deleteOf(m *pb.DeleteRangeRequest) wire.DeleteFields {
	return wire.DeleteFields{Key: m.Key, End: m.RangeEnd, PrevKV: m.PrevKv}
}

// errSize is an internal inconsistency between the size and write passes.
func errSize(want, got int) error {
	return errors.New("codec: encoded " + strconv.Itoa(got) + " bytes, sized " + strconv.Itoa(want))
}

// Sizes of proto3 scalar fields, zero when the field is not written.

func sizeBytes(num protowire.Number, v []byte) int {
	if len(v) == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(v))
}

func sizeVarint(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeVarint(v)
}

func sizeBool(num protowire.Number, v bool) int {
	if !v {
		return 0
	}
	return protowire.SizeTag(num) + 1
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return append(b, 1)
}

// sizeMessage is the size of a nested message field of n bytes.
func sizeMessage(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

func appendMessageHeader(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

func sizeRange(m *wire.RangeFields) int {
	return sizeBytes(rangeKey, m.Key) + sizeBytes(rangeEnd, m.End) +
		sizeVarint(rangeLimit, uint64(m.Limit)) + sizeVarint(rangeRevision, uint64(m.Revision)) +
		sizeVarint(rangeSortOrder, uint64(int64(m.SortOrder))) + sizeVarint(rangeSortTarget, uint64(int64(m.SortTarget))) +
		sizeBool(rangeSerializable, m.Serializable) + sizeBool(rangeKeysOnly, m.KeysOnly) + sizeBool(rangeCountOnly, m.CountOnly) +
		sizeVarint(rangeMinMod, uint64(m.MinModRevision)) + sizeVarint(rangeMaxMod, uint64(m.MaxModRevision)) +
		sizeVarint(rangeMinCreate, uint64(m.MinCreateRevision)) + sizeVarint(rangeMaxCreate, uint64(m.MaxCreateRevision))
}

func appendRange(b []byte, m *wire.RangeFields) []byte {
	b = appendBytes(b, rangeKey, m.Key)
	b = appendBytes(b, rangeEnd, m.End)
	b = appendVarint(b, rangeLimit, uint64(m.Limit))
	b = appendVarint(b, rangeRevision, uint64(m.Revision))
	b = appendVarint(b, rangeSortOrder, uint64(int64(m.SortOrder)))
	b = appendVarint(b, rangeSortTarget, uint64(int64(m.SortTarget)))
	b = appendBool(b, rangeSerializable, m.Serializable)
	b = appendBool(b, rangeKeysOnly, m.KeysOnly)
	b = appendBool(b, rangeCountOnly, m.CountOnly)
	b = appendVarint(b, rangeMinMod, uint64(m.MinModRevision))
	b = appendVarint(b, rangeMaxMod, uint64(m.MaxModRevision))
	b = appendVarint(b, rangeMinCreate, uint64(m.MinCreateRevision))
	return appendVarint(b, rangeMaxCreate, uint64(m.MaxCreateRevision))
}

func sizePut(m *wire.PutFields) int {
	return sizeBytes(putKey, m.Key) + sizeBytes(putValue, m.Value) + sizeVarint(putLease, uint64(m.Lease)) +
		sizeBool(putPrevKV, m.PrevKV) + sizeBool(putIgnoreValue, m.IgnoreValue) + sizeBool(putIgnoreLease, m.IgnoreLease)
}

func appendPut(b []byte, m *wire.PutFields) []byte {
	b = appendBytes(b, putKey, m.Key)
	b = appendBytes(b, putValue, m.Value)
	b = appendVarint(b, putLease, uint64(m.Lease))
	b = appendBool(b, putPrevKV, m.PrevKV)
	b = appendBool(b, putIgnoreValue, m.IgnoreValue)
	return appendBool(b, putIgnoreLease, m.IgnoreLease)
}

func sizeDelete(m *wire.DeleteFields) int {
	return sizeBytes(deleteKey, m.Key) + sizeBytes(deleteEnd, m.End) + sizeBool(deletePrevKV, m.PrevKV)
}

func appendDelete(b []byte, m *wire.DeleteFields) []byte {
	b = appendBytes(b, deleteKey, m.Key)
	b = appendBytes(b, deleteEnd, m.End)
	return appendBool(b, deletePrevKV, m.PrevKV)
}

// sizeCompare is the size of a condition. A member of the target_union
// oneof is written whenever it is set, even with a zero value.
func sizeCompare(m *pb.Compare) int {
	n := sizeVarint(cmpResult, uint64(int64(m.Result))) + sizeVarint(cmpTarget, uint64(int64(m.Target))) +
		sizeBytes(cmpKey, m.Key) + sizeBytes(cmpRangeEnd, m.RangeEnd)
	switch u := m.TargetUnion.(type) {
	case *pb.Compare_Version:
		n += protowire.SizeTag(cmpVersion) + protowire.SizeVarint(uint64(u.Version))
	case *pb.Compare_CreateRevision:
		n += protowire.SizeTag(cmpCreate) + protowire.SizeVarint(uint64(u.CreateRevision))
	case *pb.Compare_ModRevision:
		n += protowire.SizeTag(cmpMod) + protowire.SizeVarint(uint64(u.ModRevision))
	case *pb.Compare_Value:
		n += protowire.SizeTag(cmpValue) + protowire.SizeBytes(len(u.Value))
	case *pb.Compare_Lease:
		n += protowire.SizeTag(cmpLease) + protowire.SizeVarint(uint64(u.Lease))
	}
	return n
}

// appendCompare writes the fields in the order protobuf's generated code
// does: the plain fields (range_end, 64, among them), then the oneof (4 to
// 8), so that the bytes are the very ones proto.Marshal writes.
func appendCompare(b []byte, m *pb.Compare) []byte {
	b = appendVarint(b, cmpResult, uint64(int64(m.Result)))
	b = appendVarint(b, cmpTarget, uint64(int64(m.Target)))
	b = appendBytes(b, cmpKey, m.Key)
	b = appendBytes(b, cmpRangeEnd, m.RangeEnd)
	switch u := m.TargetUnion.(type) {
	case *pb.Compare_Version:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpVersion, protowire.VarintType), uint64(u.Version))
	case *pb.Compare_CreateRevision:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpCreate, protowire.VarintType), uint64(u.CreateRevision))
	case *pb.Compare_ModRevision:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpMod, protowire.VarintType), uint64(u.ModRevision))
	case *pb.Compare_Value:
		b = protowire.AppendBytes(protowire.AppendTag(b, cmpValue, protowire.BytesType), u.Value)
	case *pb.Compare_Lease:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpLease, protowire.VarintType), uint64(u.Lease))
	}
	return b
}

// sizeTxn computes the size of a transaction and appends the length of
// every nested message (condition, operation, the operation's request) to
// sizes in the order appendTxn writes them: a slot is taken before the
// nested message is sized, so that nesting keeps the order.
func sizeTxn(m *pb.TxnRequest, sizes *[]int) int {
	n := 0
	for _, c := range m.Compare {
		s := sizeCompare(c)
		*sizes = append(*sizes, s)
		n += sizeMessage(txnCompare, s)
	}
	for _, part := range [...]struct {
		num protowire.Number
		ops []*pb.RequestOp
	}{{txnSuccess, m.Success}, {txnFailure, m.Failure}} {
		for _, o := range part.ops {
			slot := len(*sizes)
			*sizes = append(*sizes, 0)
			s := sizeOp(o, sizes)
			(*sizes)[slot] = s
			n += sizeMessage(part.num, s)
		}
	}
	return n
}

// sizeOp is the size of one operation; a set oneof member is written even
// when its message is empty (or nil).
func sizeOp(o *pb.RequestOp, sizes *[]int) int {
	var num protowire.Number
	s := 0
	switch v := o.Request.(type) {
	case *pb.RequestOp_RequestRange:
		num = opRange
		if v.RequestRange != nil {
			f := rangeOf(v.RequestRange)
			s = sizeRange(&f)
		}
	case *pb.RequestOp_RequestPut:
		num = opPut
		if v.RequestPut != nil {
			f := putOf(v.RequestPut)
			s = sizePut(&f)
		}
	case *pb.RequestOp_RequestDeleteRange:
		num = opDelete
		if v.RequestDeleteRange != nil {
			f := deleteOf(v.RequestDeleteRange)
			s = sizeDelete(&f)
		}
	case *pb.RequestOp_RequestTxn:
		num = opTxn
		slot := len(*sizes)
		*sizes = append(*sizes, 0)
		if v.RequestTxn != nil {
			s = sizeTxn(v.RequestTxn, sizes)
		}
		(*sizes)[slot] = s
		return sizeMessage(num, s)
	default:
		return 0
	}
	*sizes = append(*sizes, s)
	return sizeMessage(num, s)
}

func appendTxn(b []byte, m *pb.TxnRequest, sizes []int, i *int) []byte {
	for _, c := range m.Compare {
		b = appendMessageHeader(b, txnCompare, sizes[*i])
		*i++
		b = appendCompare(b, c)
	}
	for _, part := range [...]struct {
		num protowire.Number
		ops []*pb.RequestOp
	}{{txnSuccess, m.Success}, {txnFailure, m.Failure}} {
		for _, o := range part.ops {
			b = appendMessageHeader(b, part.num, sizes[*i])
			*i++
			b = appendOp(b, o, sizes, i)
		}
	}
	return b
}

func appendOp(b []byte, o *pb.RequestOp, sizes []int, i *int) []byte {
	switch v := o.Request.(type) {
	case *pb.RequestOp_RequestRange:
		b = appendMessageHeader(b, opRange, sizes[*i])
		*i++
		if v.RequestRange != nil {
			f := rangeOf(v.RequestRange)
			b = appendRange(b, &f)
		}
	case *pb.RequestOp_RequestPut:
		b = appendMessageHeader(b, opPut, sizes[*i])
		*i++
		if v.RequestPut != nil {
			f := putOf(v.RequestPut)
			b = appendPut(b, &f)
		}
	case *pb.RequestOp_RequestDeleteRange:
		b = appendMessageHeader(b, opDelete, sizes[*i])
		*i++
		if v.RequestDeleteRange != nil {
			f := deleteOf(v.RequestDeleteRange)
			b = appendDelete(b, &f)
		}
	case *pb.RequestOp_RequestTxn:
		b = appendMessageHeader(b, opTxn, sizes[*i])
		*i++
		if v.RequestTxn != nil {
			b = appendTxn(b, v.RequestTxn, sizes, i)
		}
	}
	return b
}
