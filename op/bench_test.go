package op_test

import (
	"strconv"
	"testing"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// BenchmarkTxn builds and compiles a transaction with three compares and two
// puts.
func BenchmarkTxn(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := casTxn().Compile()
		if err != nil {
			b.Fatal(err)
		}
		sinkTxnReq = m
	}
}

// BenchmarkTxnCompile compiles prebuilt transactions of several shapes, so
// that the compile alone is measured.
func BenchmarkTxnCompile(b *testing.B) {
	for _, bc := range []struct {
		name string
		txn  op.Txn
	}{
		{"cas", casTxn()},
		{"puts=8", putsTxn(8)},
		{"puts=128", putsTxn(op.DefaultMaxOps)},
		{"nested", nestedTxn()},
		{"deletes", deletesTxn()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := bc.txn.Compile()
				if err != nil {
					b.Fatal(err)
				}
				sinkTxnReq = m
			}
		})
	}
}

// putsTxn puts n distinct keys in one branch.
func putsTxn(n int) op.Txn {
	ops := make([]op.Op, n)
	for i := range ops {
		ops[i] = op.Put(kv.New().WithKey("key/" + strconv.Itoa(i)).WithValue("v"))
	}
	return op.NewTxn().Then(ops...)
}

// nestedTxn puts keys in both branches of two nested transactions and at
// the outer level, without deletes.
func nestedTxn() op.Txn {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	inner := func(p string) op.Op {
		return op.Nested(op.If(compare.Missing(p+"x")).Then(put(p+"x"), put(p+"y")).Else(put(p+"x"), put(p+"z")))
	}
	return op.If(compare.Missing("a")).Then(put("a"), inner("b/"), inner("c/"), put("d")).Else(put("a"))
}

// deletesTxn is a typical transaction with deletes: it clears a prefix and a
// lock key and writes keys outside them, or else deletes everything from a
// key on.
func deletesTxn() op.Txn {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	return op.If(compare.Missing("lock")).
		Then(
			op.Delete(kv.New().WithKey("dir/").WithPrefix()),
			op.Delete(kv.New().WithKey("lock")),
			put("owner"), put("state"), put("dir"),
			op.Get(kv.New().WithKey("dir/").WithPrefix()),
		).
		Else(op.Delete(kv.New().WithKey("tmp/").WithFromKey()), put("tmo"))
}
