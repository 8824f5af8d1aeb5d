package op

import (
	"strconv"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/wire"
)

// DefaultMaxOps is the most conditions or operations a transaction branch may
// hold unless WithMaxOps says otherwise. It is etcd's default --max-txn-ops.
const DefaultMaxOps = 128

// Txn is an immutable transaction: if every condition holds, the Then
// operations run, otherwise the Else operations. If, Then and Else append
// and return a new Txn; two transactions derived from one base never share
// a writable slice.
//
//	op.If(compare.Key("k").ModRevision(compare.Equal, rev)).
//		Then(op.Put(kv.New().WithKey("k").WithValue("v2")))
type Txn struct {
	conn    string
	timeout time.Duration
	maxOps  int
	conds   []compare.Cond
	then    []Op
	els     []Op
}

// NewTxn returns an empty transaction (no conditions: Then always runs).
func NewTxn() Txn { return Txn{} }

// If starts a transaction with the given conditions.
func If(conds ...compare.Cond) Txn { return Txn{}.If(conds...) }

// If adds conditions; all of them must hold for Then to run.
func (t Txn) If(conds ...compare.Cond) Txn {
	t.conds = appendClipped(t.conds, conds)
	return t
}

// Then adds operations that run when every condition holds.
func (t Txn) Then(ops ...Op) Txn {
	t.then = appendClipped(t.then, ops)
	return t
}

// Else adds operations that run when some condition does not hold.
func (t Txn) Else(ops ...Op) Txn {
	t.els = appendClipped(t.els, ops)
	return t
}

// WithConn sets the name of the connection the transaction is meant to run
// on. Connection names and timeouts of the requests inside a transaction are
// not used: the transaction is one request.
func (t Txn) WithConn(name string) Txn { t.conn = name; return t }

// WithTimeout sets a per-request timeout; zero means none.
func (t Txn) WithTimeout(d time.Duration) Txn { t.timeout = d; return t }

// WithMaxOps sets the most conditions or operations one branch may hold,
// to match a server started with another --max-txn-ops. Zero means
// DefaultMaxOps. As in etcd, a nested transaction may only hold what its
// parent leaves: the limit less the largest branch of the parent.
func (t Txn) WithMaxOps(n int) Txn { t.maxOps = n; return t }

// Conn returns the connection name carried by the transaction, or "".
func (t Txn) Conn() string { return t.conn }

// Timeout returns the per-request timeout, or 0.
func (t Txn) Timeout() time.Duration { return t.timeout }

// Conds, ThenOps and ElseOps return copies of the transaction's parts.
func (t Txn) Conds() []compare.Cond { return append([]compare.Cond(nil), t.conds...) }

// ThenOps returns a copy of the operations run when the conditions hold.
func (t Txn) ThenOps() []Op { return append([]Op(nil), t.then...) }

// ElseOps returns a copy of the operations run otherwise.
func (t Txn) ElseOps() []Op { return append([]Op(nil), t.els...) }

// Compile builds a fresh *pb.TxnRequest.
func (t Txn) Compile() (*pb.TxnRequest, error) { return t.compileTop(wire.Copy) }

// The no-copy compiler, for getcd's own packages (see internal/wire): in
// wire.Alias mode keys and values in the message share memory with the
// builders' strings and must not be written.
func init() { wire.Txn = Txn.compileTop }

func (t Txn) compileTop(mode wire.Mode) (*pb.TxnRequest, error) {
	if t.timeout < 0 {
		return nil, errs.Field("op", "txn", "timeout", "must not be negative, got "+t.timeout.String())
	}
	if t.maxOps < 0 {
		return nil, errs.Field("op", "txn", "max_ops", errs.Negative(int64(t.maxOps)))
	}
	limit := t.maxOps
	if limit == 0 {
		limit = DefaultMaxOps
	}
	return t.compile(limit, mode)
}

// compile checks each part against maxOps and, as etcd does, allows a nested
// transaction only what is left: maxOps minus the largest part of this one.
func (t Txn) compile(maxOps int, mode wire.Mode) (*pb.TxnRequest, error) {
	largest := 0
	for _, part := range [...]struct {
		name string
		n    int
	}{{"compare", len(t.conds)}, {"success", len(t.then)}, {"failure", len(t.els)}} {
		if part.n > maxOps {
			return nil, errs.Field("op", "txn", part.name, strconv.Itoa(part.n)+" entries exceed the limit of "+strconv.Itoa(maxOps)+" (etcd --max-txn-ops; see WithMaxOps)")
		}
		largest = max(largest, part.n)
	}
	maxOps -= largest // the budget of nested transactions
	req := &pb.TxnRequest{}
	if len(t.conds) > 0 {
		req.Compare = make([]*pb.Compare, len(t.conds))
		for i, c := range t.conds {
			m, err := compileCond(c, mode)
			if err != nil {
				return nil, errs.At("op", "txn", "compare["+strconv.Itoa(i)+"]", err)
			}
			req.Compare[i] = m
		}
	}
	var err error
	if req.Success, err = compileOps("success", t.then, maxOps, mode); err != nil {
		return nil, err
	}
	if req.Failure, err = compileOps("failure", t.els, maxOps, mode); err != nil {
		return nil, err
	}
	return req, nil
}

func compileOps(name string, ops []Op, maxOps int, mode wire.Mode) ([]*pb.RequestOp, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	out := make([]*pb.RequestOp, len(ops))
	for i, o := range ops {
		m, err := o.compile(maxOps, mode)
		if err != nil {
			return nil, errs.At("op", "txn", name+"["+strconv.Itoa(i)+"]", err)
		}
		out[i] = m
	}
	return out, nil
}

// appendClipped appends src to a copy-on-write view of dst: dst is clipped
// to its length so append always allocates rather than writing into a
// backing array that a sibling Txn may share.
func appendClipped[T any](dst, src []T) []T {
	if len(src) == 0 {
		return dst
	}
	return append(dst[:len(dst):len(dst)], src...)
}
