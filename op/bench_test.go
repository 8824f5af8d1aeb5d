package op_test

import "testing"

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
