package op

import (
	"slices"
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
// on, for running it by name (package registry). Without one, the
// transaction runs on the name its requests agree on (see Conn). The
// timeouts of the requests inside are not used: the transaction is one
// request, with its own WithTimeout.
func (t Txn) WithConn(name string) Txn { t.conn = name; return t }

// WithTimeout sets a per-request timeout; zero means none.
func (t Txn) WithTimeout(d time.Duration) Txn { t.timeout = d; return t }

// WithMaxOps sets the most conditions or operations one branch may hold,
// to match a server started with another --max-txn-ops. Zero means
// DefaultMaxOps. As in etcd, a nested transaction may only hold what its
// parent leaves: the limit less the largest branch of the parent.
func (t Txn) WithMaxOps(n int) Txn { t.maxOps = n; return t }

// Conn returns the name of the connection the transaction is meant to run
// on: the one given with WithConn or, without one, the name that the
// requests inside it agree on: every [kv.Request] that carries a name
// ([kv.On]), nested transactions included, carries this one. It returns ""
// when nothing names a connection and when the requests name different
// ones; RequestConns lists them.
func (t Txn) Conn() string {
	if t.conn != "" {
		return t.conn
	}
	name, conflict := t.agreedConn("")
	if conflict {
		return ""
	}
	return name
}

// RequestConns returns the distinct connection names carried by the
// requests inside the transaction (nested ones included), in order of first
// appearance; the transaction's own name (WithConn) is not among them.
func (t Txn) RequestConns() []string {
	var names []string
	t.eachRequest(func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	})
	return names
}

// agreedConn returns the one name the requests carry, starting from name,
// or conflict when they carry two.
func (t Txn) agreedConn(name string) (agreed string, conflict bool) {
	t.eachRequest(func(n string) {
		switch {
		case n == "" || n == name:
		case name == "":
			name = n
		default:
			conflict = true
		}
	})
	return name, conflict
}

// eachRequest calls f with the connection name of every request inside t.
func (t Txn) eachRequest(f func(name string)) {
	for _, ops := range [2][]Op{t.then, t.els} {
		for _, o := range ops {
			if o.kind == KindTxn {
				if o.txn.conn != "" {
					f(o.txn.conn)
				}
				o.txn.eachRequest(f)
				continue
			}
			f(o.req.Conn())
		}
	}
}

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
	m, err := t.compile(limit, mode)
	if err != nil {
		return nil, err
	}
	if err := checkOverlaps(m); err != nil {
		return nil, err
	}
	return m, nil
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
			return nil, errs.FieldErr("op", "txn", part.name, strconv.Itoa(part.n)+" entries exceed the limit of "+strconv.Itoa(maxOps)+" (etcd --max-txn-ops; see WithMaxOps)", ErrTooManyOps)
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
