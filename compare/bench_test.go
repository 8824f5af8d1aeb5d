package compare_test

import (
	"testing"

	"github.com/getcd/getcd/compare"
)

// BenchmarkCompare builds and compiles a mod-revision condition (CAS).
func BenchmarkCompare(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := compare.Key("config/app").ModRevision(compare.Equal, 42).Compile()
		if err != nil {
			b.Fatal(err)
		}
		sinkCmp = m
	}
}

// BenchmarkCompareValue builds and compiles a value condition.
func BenchmarkCompareValue(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := compare.Key("election/leader").Value(compare.Equal, "node-1").Compile()
		if err != nil {
			b.Fatal(err)
		}
		sinkCmp = m
	}
}
