package compare

import (
	"math"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/keys"
	"github.com/getcd/getcd/internal/wire"
)

// ErrInvalidRequest is matched (errors.Is) by every error Compile returns.
// It is the same value as [kv.ErrInvalidRequest].
var ErrInvalidRequest = kv.ErrInvalidRequest

// FieldError is the concrete type of a validation error: [kv.FieldError].
type FieldError = kv.FieldError

// Op is a comparison operator.
type Op int8

// Operators. GreaterOrEqual and LessOrEqual are for the integer targets
// (version, revisions, lease) and compile to the equivalent strict
// comparison, since etcd only knows =, !=, > and <.
const (
	Equal Op = iota + 1
	NotEqual
	Greater
	Less
	GreaterOrEqual
	LessOrEqual
)

func (o Op) String() string {
	switch o {
	case Equal:
		return "="
	case NotEqual:
		return "!="
	case Greater:
		return ">"
	case Less:
		return "<"
	case GreaterOrEqual:
		return ">="
	case LessOrEqual:
		return "<="
	}
	return "Op(?)"
}

type target int8

const (
	targetValue target = iota + 1
	targetVersion
	targetCreate
	targetMod
	targetLease
)

var targetNames = [...]string{targetValue: "value", targetVersion: "version", targetCreate: "create_revision", targetMod: "mod_revision", targetLease: "lease"}

// Subject is the key, prefix or range a condition looks at. Build one with
// Key, Prefix, FromKey or Range, then pick a target and an operator.
type Subject struct {
	key  string
	end  string
	span keys.Span
}

// Key is a condition on a single key.
func Key(key string) Subject { return Subject{key: key} }

// Prefix is a condition on every key starting with prefix: it holds when it
// holds for each of them.
func Prefix(prefix string) Subject { return Subject{key: prefix, span: keys.Prefix} }

// FromKey is a condition on every key greater than or equal to key.
func FromKey(key string) Subject { return Subject{key: key, span: keys.FromKey} }

// Range is a condition on every key in [key, end).
func Range(key, end string) Subject { return Subject{key: key, end: end, span: keys.Range} }

// Cond is an immutable transaction condition. The zero Cond is invalid.
type Cond struct {
	s      Subject
	target target
	op     Op
	value  string
	n      int64
}

// Value compares the value of the key(s) with v, byte by byte.
// GreaterOrEqual and LessOrEqual are not available for values.
func (s Subject) Value(op Op, v string) Cond {
	return Cond{s: s, target: targetValue, op: op, value: v}
}

// Version compares the version of the key(s): 0 for a missing key, 1 after
// its first put, incremented by each put.
func (s Subject) Version(op Op, v int64) Cond { return Cond{s: s, target: targetVersion, op: op, n: v} }

// CreateRevision compares the revision at which the key(s) were created; 0
// for a missing key.
func (s Subject) CreateRevision(op Op, rev int64) Cond {
	return Cond{s: s, target: targetCreate, op: op, n: rev}
}

// ModRevision compares the revision of the last change to the key(s); 0 for
// a missing key.
func (s Subject) ModRevision(op Op, rev int64) Cond {
	return Cond{s: s, target: targetMod, op: op, n: rev}
}

// Lease compares the lease ID the key(s) are attached to; 0 for none.
func (s Subject) Lease(op Op, id int64) Cond { return Cond{s: s, target: targetLease, op: op, n: id} }

// Exists holds when key exists (its create revision is above zero).
func Exists(key string) Cond { return Key(key).CreateRevision(Greater, 0) }

// Missing holds when key does not exist (its create revision is zero).
func Missing(key string) Cond { return Key(key).CreateRevision(Equal, 0) }

func invalid(field, reason string) error { return errs.Field("compare", "compare", field, reason) }

// Compile builds a fresh *pb.Compare.
func (c Cond) Compile() (*pb.Compare, error) { return c.compile(wire.Copy) }

// The no-copy compiler and the validated fields, for getcd's own packages
// (see internal/wire).
func init() {
	wire.Cond = Cond.compile
	wire.CondOf = Cond.fields
}

func (c Cond) compile(m wire.Mode) (*pb.Compare, error) {
	f, err := c.fields(m)
	if err != nil {
		return nil, err
	}
	return wire.CompareMessage(&f), nil
}

// fields validates the condition and returns its fields.
func (c Cond) fields(m wire.Mode) (wire.CompareFields, error) {
	if c.target == 0 {
		return wire.CompareFields{}, invalid("target", "empty condition; build one with Key(k).Value(...) or the like")
	}
	key, end, err := c.s.compile(m)
	if err != nil {
		return wire.CompareFields{}, err
	}
	res, n, err := c.result()
	if err != nil {
		return wire.CompareFields{}, err
	}
	f := wire.CompareFields{Result: int32(res), Key: key, End: end}
	switch c.target {
	case targetValue:
		f.Target = int32(pb.Compare_VALUE)
		f.Value = m.Bytes(c.value)
	case targetVersion:
		f.Target, f.N = int32(pb.Compare_VERSION), n
	case targetCreate:
		f.Target, f.N = int32(pb.Compare_CREATE), n
	case targetMod:
		f.Target, f.N = int32(pb.Compare_MOD), n
	case targetLease:
		f.Target, f.N = int32(pb.Compare_LEASE), n
	}
	return f, nil
}

// result maps the operator to etcd's CompareResult, rewriting >= and <= on
// integers to the strict comparison with the neighbouring value.
func (c Cond) result() (pb.Compare_CompareResult, int64, error) {
	field := targetNames[c.target]
	if c.target != targetValue && c.n < 0 {
		return 0, 0, invalid(field, errs.Negative(c.n))
	}
	switch c.op {
	case Equal:
		return pb.Compare_EQUAL, c.n, nil
	case NotEqual:
		return pb.Compare_NOT_EQUAL, c.n, nil
	case Greater:
		return pb.Compare_GREATER, c.n, nil
	case Less:
		return pb.Compare_LESS, c.n, nil
	case GreaterOrEqual, LessOrEqual:
		if c.target == targetValue {
			return 0, 0, invalid("result", c.op.String()+" is only for integer targets; etcd compares values with =, !=, > and <")
		}
		if c.op == GreaterOrEqual {
			if c.n == 0 {
				// >= 0 always holds for etcd's non-negative targets.
				return pb.Compare_GREATER, -1, nil
			}
			return pb.Compare_GREATER, c.n - 1, nil
		}
		if c.n == math.MaxInt64 {
			return 0, 0, invalid("result", "<= math.MaxInt64 cannot be expressed as a strict comparison")
		}
		return pb.Compare_LESS, c.n + 1, nil
	}
	return 0, 0, invalid("result", "unknown operator "+c.op.String())
}

func (s Subject) compile(m wire.Mode) (key, end []byte, err error) {
	key, end, field, reason := keys.Resolve(s.span, s.key, s.end, m)
	if field != "" {
		return nil, nil, invalid(field, reason)
	}
	return key, end, nil
}
