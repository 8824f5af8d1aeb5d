package watch_test

import (
	"strconv"
	"sync"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/watch"
)

// TestImmutableParallel derives requests from one shared base in parallel
// (run it with -race): the base never changes.
func TestImmutableParallel(t *testing.T) {
	base := watch.On("main").WithKey("svc/").WithPrefix().WithPrevKV()
	snapshot := base
	const n = 64
	var wg sync.WaitGroup
	children := make([]watch.Request, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := base.WithStartRevision(int64(i))
			if i%2 == 0 {
				c = c.WithFilterPut().WithKey("svc/" + strconv.Itoa(i) + "/")
			}
			if _, err := base.CreateRequest(); err != nil {
				t.Error(err)
			}
			children[i] = c
		}()
	}
	wg.Wait()
	if base != snapshot {
		t.Fatalf("base changed: %+v, was %+v", base, snapshot)
	}
	got, _ := base.CreateRequest()
	diff(t, &pb.WatchCreateRequest{Key: b("svc/"), RangeEnd: b("svc0"), PrevKv: true}, got)
	for i, c := range children {
		m, err := c.CreateRequest()
		if err != nil {
			t.Fatal(err)
		}
		if m.StartRevision != int64(i) || (i%2 == 0) != (len(m.Filters) == 1) {
			t.Errorf("child %d compiled to %v", i, m)
		}
	}
}
