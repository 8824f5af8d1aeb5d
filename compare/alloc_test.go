package compare_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
)

var (
	sinkCond compare.Cond
	sinkCmp  *pb.Compare
	sinkErr  error
)

func TestAllocsBuild(t *testing.T) {
	got := testing.AllocsPerRun(1000, func() {
		sinkCond = compare.Prefix("jobs/").ModRevision(compare.LessOrEqual, 10)
	})
	if got != 0 {
		t.Fatalf("building a Cond: %v allocs/op, want 0", got)
	}
}

// TestAllocsCompile pins the allocations of Compile: the message, the
// target_union wrapper (a oneof is a pointer in Go) and each byte slice.
func TestAllocsCompile(t *testing.T) {
	for _, tc := range []struct {
		name string
		cond compare.Cond
		want float64
	}{
		{"mod revision on a key", compare.Key("k").ModRevision(compare.Equal, 5), 3},        // message + key + union
		{"value on a key", compare.Key("k").Value(compare.Equal, "v"), 4},                   // + value bytes
		{"version on a prefix", compare.Prefix("p/").Version(compare.GreaterOrEqual, 1), 4}, // + range_end
		{"value on a range", compare.Range("a", "b").Value(compare.NotEqual, "v"), 5},       // key + end + value
		{"exists", compare.Exists("lock"), 3},                                               // message + key + union
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(1000, func() { sinkCmp, sinkErr = tc.cond.Compile() })
			if sinkErr != nil {
				t.Fatal(sinkErr)
			}
			if got != tc.want {
				t.Fatalf("%v allocs/op, want %v", got, tc.want)
			}
		})
	}
}
