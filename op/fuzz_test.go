package op_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/op"
)

// decoder turns fuzz bytes into builder arguments.
type decoder struct{ fuzzbytes.Decoder }

func (d *decoder) byte() byte  { return d.Byte() }
func (d *decoder) str() string { return d.Str(3) }
func (d *decoder) int() int64  { return d.Int() }

func decodeCond(d *decoder) compare.Cond {
	var s compare.Subject
	switch d.byte() % 5 {
	case 0:
		s = compare.Key(d.str())
	case 1:
		s = compare.Prefix(d.str())
	case 2:
		s = compare.FromKey(d.str())
	case 3:
		s = compare.Range(d.str(), d.str())
	case 4:
		return compare.Cond{}
	}
	o := compare.Op(d.byte() % 8) // 0 and 7 are not operators
	switch d.byte() % 5 {
	case 0:
		return s.Value(o, d.str())
	case 1:
		return s.Version(o, d.int())
	case 2:
		return s.CreateRevision(o, d.int())
	case 3:
		return s.ModRevision(o, d.int())
	}
	return s.Lease(o, d.int())
}

func decodeRequest(d *decoder) kv.Request {
	r := kv.New().WithKey(d.str())
	flags := d.byte()
	if flags&1 != 0 {
		r = r.WithPrefix()
	}
	if flags&2 != 0 {
		r = r.WithFromKey()
	}
	if flags&4 != 0 {
		r = r.WithValue(d.str())
	}
	if flags&8 != 0 {
		r = r.WithLease(d.int())
	}
	if flags&16 != 0 {
		r = r.WithLimit(int(d.int()))
	}
	if flags&32 != 0 {
		r = r.WithSort(kv.SortTarget(d.byte()%7), kv.SortOrder(d.byte()%4))
	}
	if flags&64 != 0 {
		r = r.WithPrevKV()
	}
	if flags&128 != 0 {
		r = r.WithRangeEnd(d.str())
	}
	return r
}

func decodeOps(d *decoder, depth int) []op.Op {
	ops := make([]op.Op, d.byte()%4)
	for i := range ops {
		switch d.byte() % 6 {
		case 0, 1:
			ops[i] = op.Put(decodeRequest(d))
		case 2:
			ops[i] = op.Get(decodeRequest(d))
		case 3:
			ops[i] = op.Delete(decodeRequest(d))
		case 4:
			if depth < 3 {
				ops[i] = op.Nested(decodeTxn(d, depth+1))
			} else {
				ops[i] = op.Get(kv.New().WithKey("deep"))
			}
		case 5:
			ops[i] = op.Op{}
		}
	}
	return ops
}

func decodeTxn(d *decoder, depth int) op.Txn {
	t := op.NewTxn()
	for steps := 0; len(d.Data) > 0 && steps < 24; steps++ {
		switch d.byte() % 8 {
		case 0, 1:
			cs := make([]compare.Cond, d.byte()%4)
			for i := range cs {
				cs[i] = decodeCond(d)
			}
			t = t.If(cs...)
		case 2, 3:
			t = t.Then(decodeOps(d, depth)...)
		case 4:
			t = t.Else(decodeOps(d, depth)...)
		case 5:
			t = t.WithMaxOps(int(int8(d.byte())) % 8) // small limits, some negative
		case 6:
			t = t.WithTimeout(time.Duration(int8(d.byte())))
		case 7:
			return t
		}
	}
	return t
}

// validRange is etcd's view of a key and range end plus getcd's stricter
// rule that a range end sorts after the key (or is "\x00").
func validRange(key, end []byte) bool {
	return len(key) > 0 && (len(end) == 0 || bytes.Equal(end, []byte{0}) || bytes.Compare(end, key) > 0)
}

// etcdAccepts restates etcd's request checks (v3rpc checkTxnRequest and
// friends): a nested txn gets what its parent leaves of maxOps.
func etcdAccepts(r *pb.TxnRequest, maxOps int) bool {
	opc := max(len(r.Compare), len(r.Success), len(r.Failure))
	if opc > maxOps {
		return false
	}
	for _, c := range r.Compare {
		if !validRange(c.Key, c.RangeEnd) {
			return false
		}
	}
	for _, u := range append(append([]*pb.RequestOp(nil), r.Success...), r.Failure...) {
		switch x := u.Request.(type) {
		case *pb.RequestOp_RequestRange:
			m := x.RequestRange
			if !validRange(m.Key, m.RangeEnd) || pb.RangeRequest_SortOrder_name[int32(m.SortOrder)] == "" ||
				pb.RangeRequest_SortTarget_name[int32(m.SortTarget)] == "" {
				return false
			}
		case *pb.RequestOp_RequestPut:
			m := x.RequestPut
			if len(m.Key) == 0 || (m.IgnoreValue && len(m.Value) != 0) || (m.IgnoreLease && m.Lease != 0) {
				return false
			}
		case *pb.RequestOp_RequestDeleteRange:
			if !validRange(x.RequestDeleteRange.Key, x.RequestDeleteRange.RangeEnd) {
				return false
			}
		case *pb.RequestOp_RequestTxn:
			if !etcdAccepts(x.RequestTxn, maxOps-opc) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func FuzzTxnChain(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 'k', 1, 3, 2, 1, 0, 1, 'k', 4, 1, 'v'})    // if k mod > ..., then put
	f.Add([]byte{2, 3, 0, 1, 'a', 0, 0, 1, 'b', 0, 0, 1, 'c', 0})       // then 3 puts
	f.Add([]byte{5, 2, 2, 3, 0, 1, 'a', 0, 0, 1, 'b', 0, 0, 1, 'c', 0}) // max 2, 3 puts
	f.Add([]byte{4, 1, 4, 2, 1, 5, 0, 1, 0, 1, 'x', 7})                 // else nested
	f.Add([]byte{2, 1, 5})                                              // zero op
	f.Add([]byte{0, 1, 4})                                              // zero cond
	f.Add([]byte{0, 1, 0, 1, 'k', 5, 0, 1, 'v'})                        // >= on a value
	f.Add([]byte{6, 0xff, 2, 1, 3, 1, 'k', 8, 1})                       // negative timeout, lease on delete
	f.Add([]byte{5, 3, 2, 2, 0, 1, 'a', 0, 4, 2, 3, 0, 1, 'b', 0, 0, 1, 'c', 0, 7})
	f.Add([]byte{2, 1, 2, 2, 'a', 0xff, 1, 2, 1, 1, 'k', 0x80, 2}) // get a\xff prefix, get sorted

	// Found by this fuzzer before nested transactions were held to what
	// their parent leaves: Then(Nested(Then(Nested(empty)))) under limit 1.
	f.Add([]byte("21X21X"))

	f.Fuzz(func(t *testing.T, data []byte) {
		d := &decoder{fuzzbytes.Decoder{Data: data}}
		txn := decodeTxn(d, 0)
		req, err := txn.Compile()
		if err != nil {
			if req != nil {
				t.Fatalf("message and error both returned")
			}
			if !errors.Is(err, op.ErrInvalidRequest) {
				t.Fatalf("error %v does not match ErrInvalidRequest", err)
			}
			var fe *op.FieldError
			if !errors.As(err, &fe) || fe.Pkg != "op" || fe.Req != "txn" || fe.Field == "" {
				t.Fatalf("error %v is not an op txn *FieldError naming a field", err)
			}
		} else {
			if len(req.Compare) != len(txn.Conds()) || len(req.Success) != len(txn.ThenOps()) || len(req.Failure) != len(txn.ElseOps()) {
				t.Fatalf("compiled %d/%d/%d parts, txn has %d/%d/%d", len(req.Compare), len(req.Success), len(req.Failure),
					len(txn.Conds()), len(txn.ThenOps()), len(txn.ElseOps()))
			}
			// Every other check passed, so under any limit n getcd must
			// accept exactly what etcd accepts.
			for _, n := range []int{1, 2, 3, 4, 5, 8, op.DefaultMaxOps} {
				m, err := txn.WithMaxOps(n).Compile()
				if want := etcdAccepts(req, n); want != (err == nil) {
					t.Fatalf("limit %d: etcd accepts = %v, getcd error = %v", n, want, err)
				}
				if err == nil {
					if !proto.Equal(req, m) { // cheap check; diff only on failure
						d := cmp.Diff(req, m, protocmp.Transform())
						t.Fatalf("limit %d changes the message:\n%s", n, d)
					}
				}
			}
			for i, o := range txn.ThenOps() {
				m, err := o.Compile()
				if err != nil && !errors.Is(err, op.ErrInvalidRequest) {
					t.Fatalf("then[%d]: %v", i, err)
				}
				if err == nil && o.Kind() != op.KindTxn {
					if !proto.Equal(req.Success[i], m) { // cheap check; diff only on failure
						d := cmp.Diff(req.Success[i], m, protocmp.Transform())
						t.Fatalf("then[%d] compiles differently alone:\n%s", i, d)
					}
				}
			}
		}
		// Deriving a sibling leaves the base as it was.
		sib := txn.If(compare.Missing("sibling")).Then(op.Get(kv.New().WithKey("sibling"))).Else(op.Op{})
		_, _ = sib.Compile()
		again, err2 := txn.Compile()
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("second compile: %v, first: %v", err2, err)
		}
		if !proto.Equal(req, again) { // cheap check; diff only on failure
			d := cmp.Diff(req, again, protocmp.Transform())
			t.Fatalf("base changed after deriving a sibling:\n%s", d)
		}
	})
}
