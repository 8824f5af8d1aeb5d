// Package wire lets getcd's connection code compile requests without
// copying keys and values.
//
// The builders keep keys and values as strings. Their public compile
// methods copy them into fresh byte slices, because the caller owns the
// message and may write to it. A message that goes straight to the wire
// is only read (marshalled), so the conn package asks for one whose byte
// slices share memory with the strings. Such a message must never be
// written or handed to user code.
//
// The no-copy compilers are not methods of the builders, so that users
// never see them: each builder package stores its compiler in one of the
// hook variables below from its init function, and the packages that need
// it type-assert the hook once, at their own initialization (which Go runs
// after the builder packages' init). This is grpc-go's pattern of internal
// hook variables; the variables are typed any only to avoid an import
// cycle.
package wire

import "unsafe"

// Hooks, each set once by the package named and never changed afterwards.
var (
	// Range is func(kv.Request, Mode) (*pb.RangeRequest, error), set by package kv.
	Range any
	// Put is func(kv.Request, Mode) (*pb.PutRequest, error), set by package kv.
	Put any
	// Delete is func(kv.Request, Mode) (*pb.DeleteRangeRequest, error), set by package kv.
	Delete any
	// Cond is func(compare.Cond, Mode) (*pb.Compare, error), set by package compare.
	Cond any
	// Txn is func(op.Txn, Mode) (*pb.TxnRequest, error), set by package op.
	Txn any
)

// Mode says how a builder turns strings into bytes.
type Mode bool

// Modes.
const (
	Copy  Mode = false // fresh slices the caller may write to
	Alias Mode = true  // read-only slices sharing the strings' memory
)

// zero is the one-byte "\x00" key or range end, shared by aliasing
// compiles; it is never written.
var zero = []byte{0}

// Bytes returns s as bytes, copied or aliased.
func (m Mode) Bytes(s string) []byte {
	if m == Copy {
		return []byte(s)
	}
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Zero returns "\x00" as bytes, fresh or shared.
func (m Mode) Zero() []byte {
	if m == Copy {
		return []byte{0}
	}
	return zero
}

// Fields hooks, each set once by package kv: the validated contents of a
// request as plain values, which the message compile turns into a
// protobuf message and getcd's codec (internal/codec) writes straight to
// the wire, with no message in between.
var (
	// RangeOf is func(kv.Request, Mode) (RangeFields, error).
	RangeOf any
	// PutOf is func(kv.Request, Mode) (PutFields, error).
	PutOf any
	// DeleteOf is func(kv.Request, Mode) (DeleteFields, error).
	DeleteOf any
)

// RangeFields are the fields of etcd's RangeRequest.
type RangeFields struct {
	Key, End                             []byte
	Limit, Revision                      int64
	SortOrder, SortTarget                int32
	Serializable, KeysOnly, CountOnly    bool
	MinModRevision, MaxModRevision       int64
	MinCreateRevision, MaxCreateRevision int64
}

// PutFields are the fields of etcd's PutRequest.
type PutFields struct {
	Key, Value                       []byte
	Lease                            int64
	PrevKV, IgnoreValue, IgnoreLease bool
}

// DeleteFields are the fields of etcd's DeleteRangeRequest.
type DeleteFields struct {
	Key, End []byte
	PrevKV   bool
}

// Transaction hooks, set once by packages compare and op: the validated
// contents of a condition and of a whole transaction as plain values.
var (
	// CondOf is func(compare.Cond, Mode) (CompareFields, error), set by package compare.
	CondOf any
	// TxnOf is func(op.Txn, Mode) (TxnFields, error), set by package op.
	TxnOf any
)

// Compare targets, etcd's Compare.CompareTarget values.
const (
	TargetVersion int32 = 0
	TargetCreate  int32 = 1
	TargetMod     int32 = 2
	TargetValue   int32 = 3
	TargetLease   int32 = 4
)

// CompareFields are the fields of etcd's Compare. Value is the compared
// value of a TargetValue condition, N the compared number of the others;
// the target_union member of Target is always written.
type CompareFields struct {
	Result, Target int32
	Key, End       []byte
	Value          []byte
	N              int64
}

// OpKind says which request of etcd's RequestOp an operation holds.
type OpKind uint8

// Operation kinds.
const (
	OpRange OpKind = iota + 1
	OpPut
	OpDelete
	OpTxn
)

// OpFields is one operation of a transaction: the fields of its kind, or
// for OpTxn the index of the nested transaction in TxnFields.Nested. Size is
// scratch space of the encoder (the request's encoded size).
type OpFields struct {
	Kind   OpKind
	Txn    int32
	Size   int
	Range  RangeFields
	Put    PutFields
	Delete DeleteFields
}

// TxnPart is one transaction, the top one or a nested one: its
// conditions and branches are windows of slices shared by the whole tree.
// Size is scratch space of the encoder (the encoded size).
type TxnPart struct {
	Compare          []CompareFields
	Success, Failure []OpFields
	Size             int
}

// TxnFields is a validated transaction: Top, and the nested ones in the
// order they were validated (a transaction without nested ones allocates
// no slice of them). Write says whether any
// operation, nested ones included, can change the store; Serializable
// that the top transaction holds serializable ranges only (etcd's
// IsTxnSerializable: a nested transaction is not one).
type TxnFields struct {
	Top                 TxnPart
	Nested              []TxnPart
	Write, Serializable bool
}

// TopTxn is the index that Part maps to Top.
const TopTxn int32 = -1

// Part returns the transaction of index i: Top for TopTxn, a nested one
// otherwise.
func (f *TxnFields) Part(i int32) *TxnPart {
	if i == TopTxn {
		return &f.Top
	}
	return &f.Nested[i]
}
