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

// The no-copy compiler and the validated fields, for getcd's own packages
// (see internal/wire): in wire.Alias mode keys and values share memory
// with the builders' strings and must not be written.
func init() {
	wire.Txn = Txn.compileTop
	wire.TxnOf = Txn.fieldsTop
}

func (t Txn) compileTop(mode wire.Mode) (*pb.TxnRequest, error) {
	f, err := t.fieldsTop(mode)
	if err != nil {
		return nil, err
	}
	return wire.TxnMessage(&f), nil
}

// fieldsTop validates the transaction, overlapping writes included, and
// returns its fields.
func (t Txn) fieldsTop(mode wire.Mode) (wire.TxnFields, error) {
	if t.timeout < 0 {
		return wire.TxnFields{}, errs.Field("op", "txn", "timeout", "must not be negative, got "+t.timeout.String())
	}
	if t.maxOps < 0 {
		return wire.TxnFields{}, errs.Field("op", "txn", "max_ops", errs.Negative(int64(t.maxOps)))
	}
	limit := t.maxOps
	if limit == 0 {
		limit = DefaultMaxOps
	}
	return t.checkedFields(limit, mode)
}

// checkedFields validates the transaction against maxOps, overlapping
// writes included, and returns its fields.
func (t Txn) checkedFields(maxOps int, mode wire.Mode) (wire.TxnFields, error) {
	f, err := t.fields(maxOps, mode)
	if err != nil {
		return wire.TxnFields{}, err
	}
	if err := checkOverlaps(&f); err != nil {
		return wire.TxnFields{}, err
	}
	return f, nil
}

// fields validates the transaction (all but overlaps) into fields held in
// slices sized once: the conditions and the operations of the whole tree
// and, if it has any, the nested transactions.
func (t Txn) fields(maxOps int, mode wire.Mode) (wire.TxnFields, error) {
	nt, nc, no := t.count()
	b := fieldsBuilder{
		f:     wire.TxnFields{Nested: make([]wire.TxnPart, 0, nt-1)},
		conds: make([]wire.CompareFields, nc),
		ops:   make([]wire.OpFields, no),
		mode:  mode,
	}
	if err := b.txn(t, wire.TopTxn, maxOps); err != nil {
		return wire.TxnFields{}, err
	}
	b.f.Serializable = true
	top := &b.f.Top
	for _, ops := range [2][]wire.OpFields{top.Success, top.Failure} {
		for i := range ops {
			if ops[i].Kind != wire.OpRange || !ops[i].Range.Serializable {
				b.f.Serializable = false
			}
		}
	}
	return b.f, nil
}

// count returns the number of transactions (t and the nested ones),
// conditions and operations in t.
func (t Txn) count() (txns, conds, ops int) {
	txns, conds, ops = 1, len(t.conds), len(t.then)+len(t.els)
	for _, part := range [2][]Op{t.then, t.els} {
		for _, o := range part {
			if o.kind == KindTxn {
				a, b, c := o.txn.count()
				txns, conds, ops = txns+a, conds+b, ops+c
			}
		}
	}
	return txns, conds, ops
}

// fieldsBuilder fills a TxnFields, handing out windows of conds and ops.
type fieldsBuilder struct {
	f      wire.TxnFields
	conds  []wire.CompareFields
	ops    []wire.OpFields
	nc, no int // used lengths of conds and ops
	mode   wire.Mode
}

func (b *fieldsBuilder) takeOps(n int) []wire.OpFields {
	if n == 0 {
		return nil
	}
	w := b.ops[b.no : b.no+n : b.no+n]
	b.no += n
	return w
}

// txn checks each part of t against maxOps and, as etcd does, allows a
// nested transaction only what is left: maxOps minus the largest part of
// this one. It fills b.f.Part(i).
func (b *fieldsBuilder) txn(t Txn, i int32, maxOps int) error {
	largest := 0
	for _, part := range [...]struct {
		name string
		n    int
	}{{"compare", len(t.conds)}, {"success", len(t.then)}, {"failure", len(t.els)}} {
		if part.n > maxOps {
			return errs.FieldErr("op", "txn", part.name, strconv.Itoa(part.n)+" entries exceed the limit of "+strconv.Itoa(maxOps)+" (etcd --max-txn-ops; see WithMaxOps)", ErrTooManyOps)
		}
		largest = max(largest, part.n)
	}
	maxOps -= largest // the budget of nested transactions
	var p wire.TxnPart
	if n := len(t.conds); n > 0 {
		p.Compare = b.conds[b.nc : b.nc+n : b.nc+n]
		b.nc += n
		for j, c := range t.conds {
			f, err := condFields(c, b.mode)
			if err != nil {
				return errs.At("op", "txn", "compare["+strconv.Itoa(j)+"]", err)
			}
			p.Compare[j] = f
		}
	}
	p.Success = b.takeOps(len(t.then))
	p.Failure = b.takeOps(len(t.els))
	*b.f.Part(i) = p
	if err := b.opList("success", t.then, p.Success, maxOps); err != nil {
		return err
	}
	return b.opList("failure", t.els, p.Failure, maxOps)
}

func (b *fieldsBuilder) opList(name string, ops []Op, out []wire.OpFields, maxOps int) error {
	for j, o := range ops {
		if err := b.op(o, &out[j], maxOps); err != nil {
			return errs.At("op", "txn", name+"["+strconv.Itoa(j)+"]", err)
		}
	}
	return nil
}

func (b *fieldsBuilder) op(o Op, out *wire.OpFields, maxOps int) error {
	var err error
	switch o.kind {
	case KindPut:
		out.Kind = wire.OpPut
		out.Put, err = putFields(o.req, b.mode)
		b.f.Write = true
	case KindGet:
		out.Kind = wire.OpRange
		out.Range, err = rangeFields(o.req, b.mode)
	case KindDelete:
		out.Kind = wire.OpDelete
		out.Delete, err = deleteFields(o.req, b.mode)
		b.f.Write = true
	case KindTxn:
		out.Kind = wire.OpTxn
		out.Txn = int32(len(b.f.Nested))
		b.f.Nested = append(b.f.Nested, wire.TxnPart{})
		err = b.txn(o.txn, out.Txn, maxOps)
	default:
		err = errs.Field("op", "op", "request", "empty operation; build one with Put, Get, Delete or Nested")
	}
	return err
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
