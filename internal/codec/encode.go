package codec

import (
	"errors"
	"strconv"

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

// Txn is a transaction as the builders validated it: its conditions and
// operations, nested transactions included, as plain fields. WireSize
// keeps the sizes of the nested messages in the fields' scratch space.
type Txn struct {
	Fields wire.TxnFields
	size   int // encoded size plus one, once computed
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
		r.size = sizeTxn(&r.Fields, wire.TopTxn) + 1
	}
	return r.size - 1
}

// AppendWire appends the encoded request to b.
func (r *Txn) AppendWire(b []byte) []byte {
	r.WireSize() // the sizes of the nested messages
	return appendTxn(b, &r.Fields, wire.TopTxn)
}

// OpSize is the encoded size of a range, put or delete as one operation
// of a transaction's success branch: what it adds to the transaction. A
// nested transaction's size needs its whole tree: OpSize returns 0 for one.
func OpSize(o *wire.OpFields) int {
	if o.Kind == wire.OpTxn {
		return 0
	}
	return sizeMessage(txnSuccess, sizeOp(nil, o))
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

// sizeCompare is the size of a condition. The target_union member of the
// target is written even with a zero value.
func sizeCompare(m *wire.CompareFields) int {
	n := sizeVarint(cmpResult, uint64(int64(m.Result))) + sizeVarint(cmpTarget, uint64(int64(m.Target))) +
		sizeBytes(cmpKey, m.Key) + sizeBytes(cmpRangeEnd, m.End)
	switch m.Target {
	case wire.TargetVersion:
		n += protowire.SizeTag(cmpVersion) + protowire.SizeVarint(uint64(m.N))
	case wire.TargetCreate:
		n += protowire.SizeTag(cmpCreate) + protowire.SizeVarint(uint64(m.N))
	case wire.TargetMod:
		n += protowire.SizeTag(cmpMod) + protowire.SizeVarint(uint64(m.N))
	case wire.TargetValue:
		n += protowire.SizeTag(cmpValue) + protowire.SizeBytes(len(m.Value))
	case wire.TargetLease:
		n += protowire.SizeTag(cmpLease) + protowire.SizeVarint(uint64(m.N))
	}
	return n
}

// appendCompare writes the fields in the order protobuf's generated code
// does: the plain fields (range_end, 64, among them), then the oneof (4 to
// 8), so that the bytes are the very ones proto.Marshal writes.
func appendCompare(b []byte, m *wire.CompareFields) []byte {
	b = appendVarint(b, cmpResult, uint64(int64(m.Result)))
	b = appendVarint(b, cmpTarget, uint64(int64(m.Target)))
	b = appendBytes(b, cmpKey, m.Key)
	b = appendBytes(b, cmpRangeEnd, m.End)
	switch m.Target {
	case wire.TargetVersion:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpVersion, protowire.VarintType), uint64(m.N))
	case wire.TargetCreate:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpCreate, protowire.VarintType), uint64(m.N))
	case wire.TargetMod:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpMod, protowire.VarintType), uint64(m.N))
	case wire.TargetValue:
		b = protowire.AppendBytes(protowire.AppendTag(b, cmpValue, protowire.BytesType), m.Value)
	case wire.TargetLease:
		b = protowire.AppendVarint(protowire.AppendTag(b, cmpLease, protowire.VarintType), uint64(m.N))
	}
	return b
}

// sizeTxn computes the size of transaction t of f, keeping in the fields'
// scratch space the size of every nested transaction and operation
// request for appendTxn.
func sizeTxn(f *wire.TxnFields, t int32) int {
	p := f.Part(t)
	n := 0
	for i := range p.Compare {
		n += sizeMessage(txnCompare, sizeCompare(&p.Compare[i]))
	}
	for _, part := range [...]struct {
		num protowire.Number
		ops []wire.OpFields
	}{{txnSuccess, p.Success}, {txnFailure, p.Failure}} {
		for i := range part.ops {
			n += sizeMessage(part.num, sizeOp(f, &part.ops[i]))
		}
	}
	p.Size = n
	return n
}

// opNum is the RequestOp field of each kind of operation.
var opNum = [...]protowire.Number{wire.OpRange: opRange, wire.OpPut: opPut, wire.OpDelete: opDelete, wire.OpTxn: opTxn}

// sizeOp is the size of one RequestOp, keeping its request's size in
// o.Size; the oneof member is written even when its message is empty.
func sizeOp(f *wire.TxnFields, o *wire.OpFields) int {
	switch o.Kind {
	case wire.OpRange:
		o.Size = sizeRange(&o.Range)
	case wire.OpPut:
		o.Size = sizePut(&o.Put)
	case wire.OpDelete:
		o.Size = sizeDelete(&o.Delete)
	case wire.OpTxn:
		o.Size = sizeTxn(f, o.Txn)
	default:
		o.Size = 0
		return 0
	}
	return sizeMessage(opNum[o.Kind], o.Size)
}

func appendTxn(b []byte, f *wire.TxnFields, t int32) []byte {
	p := f.Part(t)
	for i := range p.Compare {
		c := &p.Compare[i]
		b = appendMessageHeader(b, txnCompare, sizeCompare(c))
		b = appendCompare(b, c)
	}
	for _, part := range [...]struct {
		num protowire.Number
		ops []wire.OpFields
	}{{txnSuccess, p.Success}, {txnFailure, p.Failure}} {
		for i := range part.ops {
			o := &part.ops[i]
			if o.Kind < wire.OpRange || o.Kind > wire.OpTxn {
				b = appendMessageHeader(b, part.num, 0)
				continue
			}
			b = appendMessageHeader(b, part.num, sizeMessage(opNum[o.Kind], o.Size))
			b = appendMessageHeader(b, opNum[o.Kind], o.Size)
			switch o.Kind {
			case wire.OpRange:
				b = appendRange(b, &o.Range)
			case wire.OpPut:
				b = appendPut(b, &o.Put)
			case wire.OpDelete:
				b = appendDelete(b, &o.Delete)
			case wire.OpTxn:
				b = appendTxn(b, f, o.Txn)
			}
		}
	}
	return b
}
