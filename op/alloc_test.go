package op_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

var (
	sinkTxn    op.Txn
	sinkTxnReq *pb.TxnRequest
	sinkOp     *pb.RequestOp
	sinkErr    error
)

// casTxn is the benchmark's transaction: three mod-revision compares and two
// puts of a key and a value.
func casTxn() op.Txn {
	return op.If(
		compare.Key("a").ModRevision(compare.Equal, 1),
		compare.Key("b").ModRevision(compare.Equal, 2),
		compare.Key("c").ModRevision(compare.Equal, 3),
	).Then(
		op.Put(kv.New().WithKey("a").WithValue("1")),
		op.Put(kv.New().WithKey("b").WithValue("2")),
	)
}

// TestAllocsTxn pins the allocations of building and compiling casTxn.
func TestAllocsTxn(t *testing.T) {
	// Building: If and Then each copy their arguments into one new slice.
	if got := testing.AllocsPerRun(1000, func() { sinkTxn = casTxn() }); got != 2 {
		t.Errorf("building: %v allocs/op, want 2", got)
	}
	txn := casTxn()
	// Compiling (the validated fields first, then the message built from
	// them):
	//   fields: conditions, operations                 2
	//   TxnRequest                                     1
	//   compare slice                                  1
	//   3 × (Compare + key + target_union wrapper)     9
	//   success slice                                  1
	//   2 × (RequestOp + request wrapper + PutRequest
	//        + key + value)                           10
	//                                                 --
	//                                                 24
	if got := testing.AllocsPerRun(1000, func() { sinkTxnReq, sinkErr = txn.Compile() }); got != 24 {
		t.Errorf("compiling: %v allocs/op, want 24", got)
	}
	if sinkErr != nil {
		t.Fatal(sinkErr)
	}
}

// TestAllocsOp pins a single op: RequestOp + request wrapper + the message
// and its byte slices.
func TestAllocsOp(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   op.Op
		want float64
	}{
		{"put", op.Put(kv.New().WithKey("k").WithValue("v")), 5},
		{"get prefix", op.Get(kv.New().WithKey("k").WithPrefix()), 5},
		{"delete key", op.Delete(kv.New().WithKey("k")), 4},
		{"empty nested txn", op.Nested(op.NewTxn()), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(1000, func() { sinkOp, sinkErr = tc.op.Compile() })
			if sinkErr != nil {
				t.Fatal(sinkErr)
			}
			if got != tc.want {
				t.Fatalf("%v allocs/op, want %v", got, tc.want)
			}
		})
	}
}
