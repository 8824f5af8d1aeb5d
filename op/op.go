package op

import (
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/wire"
)

// ErrInvalidRequest is matched (errors.Is) by every error Compile returns.
// It is the same value as [kv.ErrInvalidRequest].
var ErrInvalidRequest = kv.ErrInvalidRequest

// FieldError is the concrete type of a validation error: [kv.FieldError].
type FieldError = kv.FieldError

// ErrTooManyOps is matched by the error of a transaction with more
// conditions or operations in one branch than its limit (etcd's
// --max-txn-ops, see [Txn.WithMaxOps]), whether Compile refused it or the
// server did: [github.com/getcd/getcd/conn.ErrTooManyOps] is this value.
// The client-side error also matches ErrInvalidRequest.
var ErrTooManyOps = errors.New("op: too many operations in txn request")

// Kind says what an Op does.
type Kind int8

// Op kinds.
const (
	KindPut Kind = iota + 1
	KindGet
	KindDelete
	KindTxn
)

func (k Kind) String() string {
	switch k {
	case KindPut:
		return "put"
	case KindGet:
		return "get"
	case KindDelete:
		return "delete"
	case KindTxn:
		return "txn"
	}
	return "none"
}

// Op is one operation of a transaction: a put, get or delete described by a
// [kv.Request], or a nested transaction. It is an immutable value; the zero Op
// is invalid.
type Op struct {
	kind Kind
	req  kv.Request
	txn  Txn
}

// Put is an operation that puts r's key and value.
func Put(r kv.Request) Op { return Op{kind: KindPut, req: r} }

// Get is an operation that reads r's key or range.
func Get(r kv.Request) Op { return Op{kind: KindGet, req: r} }

// Delete is an operation that deletes r's key or range.
func Delete(r kv.Request) Op { return Op{kind: KindDelete, req: r} }

// Nested is an operation that runs t as a nested transaction.
func Nested(t Txn) Op { return Op{kind: KindTxn, txn: t} }

// Kind returns what the operation does.
func (o Op) Kind() Kind { return o.kind }

// Request returns the [kv.Request] of a put, get or delete.
func (o Op) Request() kv.Request { return o.req }

// Compile builds a fresh *pb.RequestOp. A nested transaction is checked as
// Txn.Compile checks one, overlapping writes included, against
// DefaultMaxOps.
func (o Op) Compile() (*pb.RequestOp, error) {
	switch o.kind {
	case KindPut:
		m, err := putWire(o.req, wire.Copy)
		if err != nil {
			return nil, err
		}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: m}}, nil
	case KindGet:
		m, err := rangeWire(o.req, wire.Copy)
		if err != nil {
			return nil, err
		}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: m}}, nil
	case KindDelete:
		m, err := deleteWire(o.req, wire.Copy)
		if err != nil {
			return nil, err
		}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: m}}, nil
	case KindTxn:
		f, err := o.txn.checkedFields(DefaultMaxOps, wire.Copy)
		if err != nil {
			return nil, err
		}
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: wire.TxnMessage(&f)}}, nil
	}
	return nil, errs.Field("op", "op", "request", "empty operation; build one with Put, Get, Delete or Nested")
}
