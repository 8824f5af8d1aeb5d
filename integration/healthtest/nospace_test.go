package healthtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

// A server over its --quota-backend-bytes raises the NOSPACE alarm and
// answers puts with ErrNoSpace: the connection takes it out of rotation,
// probes keep it out while the alarm is raised, calls still go (it is the
// only member), and once space is freed and the alarm disarmed it returns.
func TestNoSpaceAlarm(t *testing.T) {
	s := etcdtest.StartProcess(t, etcdBin, etcdtest.WithQuotaBackendBytes(2<<20))
	ep := s.Endpoints()[0]
	c := open(t, conn.Config{Endpoints: s.Endpoints(), ProbeInterval: 200 * time.Millisecond})
	ctx := testCtx(t)
	prefix := etcdtest.KeyPrefix(t) + "/"

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	value := strings.Repeat("x", 16<<10)
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				_, err := c.Put(ctx, kv.New().WithKey(prefix+strconv.Itoa(w)+"/"+strconv.Itoa(i)).WithValue(value))
				if err != nil {
					mu.Lock()
					if firstErr == nil || errors.Is(err, conn.ErrNoSpace) {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if !errors.Is(firstErr, conn.ErrNoSpace) {
		t.Fatalf("filling the quota ended with %v, want conn.ErrNoSpace", firstErr)
	}
	st, _ := statusOf(c, ep)
	if !st.OutOfRotation || !errors.Is(st.OutReason, conn.ErrNoSpace) || st.OutSince.IsZero() {
		t.Fatalf("after ErrNoSpace: %+v, want out of rotation for ErrNoSpace", st)
	}
	// Probes see the alarm and keep it out.
	eventually(t, ctx, "a probe reports the alarm", func() bool {
		st, _ = statusOf(c, ep)
		return st.OutReason != nil && strings.Contains(st.OutReason.Error(), "alarm NOSPACE")
	})
	if !st.OutOfRotation || !errors.Is(st.OutReason, conn.ErrNoSpace) {
		t.Fatalf("after probes: %+v", st)
	}
	// Every member is out: calls still go.
	if _, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithCountOnly()); err != nil {
		t.Fatalf("get while the only member is out of rotation: %v", err)
	}

	// Free the space (deletes pass under NOSPACE), compact, defragment,
	// disarm.
	if _, err := c.Delete(ctx, kv.New().WithKey(prefix).WithPrefix()); err != nil {
		t.Fatal(err)
	}
	ms, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(ms.Header.Revision).WithPhysical()); err != nil {
		t.Fatal(err)
	}
	if _, err := maintenance.Defragment(ctx, c, maintenance.New()); err != nil {
		t.Fatal(err)
	}
	if _, err := maintenance.DisarmAll(ctx, c, maintenance.New()); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the member returns to rotation", func() bool {
		st, _ = statusOf(c, ep)
		return !st.OutOfRotation
	})
	if st.OutReason != nil || !st.OutSince.IsZero() {
		t.Errorf("back in rotation but %+v", st)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Put(pctx, kv.New().WithKey(prefix+"after").WithValue("v")); err != nil {
		t.Errorf("put after the alarm was disarmed: %v", err)
	}
}
