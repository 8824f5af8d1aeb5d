package watch_test

import (
	"testing"

	"github.com/getcd/getcd/watch"
)

var sinkReq watch.Request

// TestAllocsChain shows that building a request allocates nothing: Request
// is a value and With* only copies it.
func TestAllocsChain(t *testing.T) {
	key := "config/"
	got := testing.AllocsPerRun(1000, func() {
		sinkReq = watch.On("main").WithKey(key).WithPrefix().WithStartRevision(5).WithFilterDelete().WithPrevKV().
			WithWatchID(3).WithFragment().WithProgressNotify().WithCreatedNotify().WithoutRequireLeader().
			WithBuffer(64).WithConn("other").On("third")
	})
	if got != 0 {
		t.Fatalf("With* chain: %v allocs/op, want 0", got)
	}
}

// TestAllocsCompile pins the allocations of a compile: the message, each
// byte slice it owns (key, range_end) and the filter list, nothing else.
func TestAllocsCompile(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    watch.Request
		want float64
	}{
		{"single key", watch.Key("k").WithPrevKV(), 2},
		{"prefix", watch.Prefix("config/").WithStartRevision(9), 3},
		{"prefix and filter", watch.Prefix("config/").WithFilterPut(), 4},
	} {
		got := testing.AllocsPerRun(1000, func() {
			if _, err := tc.r.CreateRequest(); err != nil {
				t.Fatal(err)
			}
		})
		if got != tc.want {
			t.Errorf("%s: %v allocs/op, want %v", tc.name, got, tc.want)
		}
	}
}
