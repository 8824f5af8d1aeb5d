package codec_test

import (
	"time"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/op"
)

// gen turns fuzz bytes into requests the builders can make: every option
// of a kv.Request, every kind of condition, nested transactions.
type gen struct{ fuzzbytes.Decoder }

func (g *gen) str() string { return g.Str(5) }

// request applies a chain of options.
func (g *gen) request() kv.Request {
	r := kv.New()
	for steps := 0; len(g.Data) > 0 && steps < 12; steps++ {
		c := g.Byte()
		switch c % 26 {
		case 0, 1:
			r = r.WithKey(g.str())
		case 2:
			r = r.WithValue(g.str())
		case 3:
			r = r.WithPrefix()
		case 4:
			r = r.WithFromKey()
		case 5:
			r = r.WithRangeEnd(g.str())
		case 6:
			r = r.WithAll()
		case 7:
			r = r.WithLimit(int(g.Int()))
		case 8:
			r = r.WithRev(g.Int())
		case 9:
			r = r.WithSort(kv.SortTarget(g.Byte()%6), kv.SortOrder(g.Byte()%4))
		case 10:
			r = r.WithSerializable()
		case 11:
			r = r.WithKeysOnly()
		case 12:
			r = r.WithCountOnly()
		case 13:
			r = r.WithMinModRev(g.Int())
		case 14:
			r = r.WithMaxModRev(g.Int())
		case 15:
			r = r.WithMinCreateRev(g.Int())
		case 16:
			r = r.WithMaxCreateRev(g.Int())
		case 17:
			r = r.WithPrevKV()
		case 18:
			r = r.WithLease(g.Int())
		case 19:
			r = r.WithIgnoreValue()
		case 20:
			r = r.WithIgnoreLease()
		case 21:
			r = r.WithTimeout(time.Duration(g.Int()))
		case 22:
			r = r.WithTop(kv.SortTarget(g.Byte()%6), kv.SortOrder(g.Byte()%3))
		case 23:
			r = r.WithValueBytes([]byte(g.str()))
		case 24:
			r = r.WithValue(string(make([]byte, int(g.Byte())*8))) // values past a one-byte length
		case 25:
			return r
		}
	}
	return r
}

func (g *gen) cond() compare.Cond {
	var s compare.Subject
	switch g.Byte() % 4 {
	case 0:
		s = compare.Key(g.str())
	case 1:
		s = compare.Prefix(g.str())
	case 2:
		s = compare.FromKey(g.str())
	case 3:
		s = compare.Range(g.str(), g.str())
	}
	o := compare.Op(g.Byte()%6 + 1)
	switch g.Byte() % 5 {
	case 0:
		return s.Value(o, g.str())
	case 1:
		return s.Version(o, g.Int())
	case 2:
		return s.CreateRevision(o, g.Int())
	case 3:
		return s.ModRevision(o, g.Int())
	}
	return s.Lease(o, g.Int())
}

func (g *gen) ops(depth int) []op.Op {
	ops := make([]op.Op, g.Byte()%4)
	for i := range ops {
		switch g.Byte() % 5 {
		case 0, 1:
			ops[i] = op.Put(g.request())
		case 2:
			ops[i] = op.Get(g.request())
		case 3:
			ops[i] = op.Delete(g.request())
		case 4:
			if depth < 3 {
				ops[i] = op.Nested(g.txn(depth + 1))
			} else {
				ops[i] = op.Get(kv.New().WithKey("deep"))
			}
		}
	}
	return ops
}

func (g *gen) txn(depth int) op.Txn {
	t := op.NewTxn()
	for steps := 0; len(g.Data) > 0 && steps < 8; steps++ {
		switch g.Byte() % 5 {
		case 0:
			cs := make([]compare.Cond, g.Byte()%4)
			for i := range cs {
				cs[i] = g.cond()
			}
			t = t.If(cs...)
		case 1, 2:
			t = t.Then(g.ops(depth)...)
		case 3:
			t = t.Else(g.ops(depth)...)
		case 4:
			return t
		}
	}
	return t
}
