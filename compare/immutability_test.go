package compare_test

import (
	"sync"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
)

// TestSharedSubject derives and compiles many conditions from one subject
// in parallel (run with -race); the subject and every condition keep their
// own values.
func TestSharedSubject(t *testing.T) {
	s := compare.Prefix("svc/")
	before := s
	conds := make([]compare.Cond, 32)
	var wg sync.WaitGroup
	for i := range conds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conds[i] = s.ModRevision(compare.Less, int64(i))
			if _, err := conds[i].Compile(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if s != before {
		t.Fatalf("subject changed: %+v, want %+v", s, before)
	}
	for i, c := range conds {
		got, err := c.Compile()
		if err != nil {
			t.Fatal(err)
		}
		diff(t, &pb.Compare{Key: b("svc/"), RangeEnd: b("svc0"), Target: pb.Compare_MOD, Result: pb.Compare_LESS,
			TargetUnion: &pb.Compare_ModRevision{ModRevision: int64(i)}}, got)
	}
}
