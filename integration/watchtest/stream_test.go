package watchtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/watch"
)

// TestThousandWatchesOneStream opens 1,000 watches on one connection: gRPC
// sees exactly one watch stream, carrying 1,000 create requests, and every
// watch gets its event. Closing half of them sends 500 cancel requests,
// and the other half keeps receiving. When the last one is closed the
// stream ends, and the next watch opens a new one.
func TestThousandWatchesOneStream(t *testing.T) {
	const n = 1000
	ctx := testCtx(t)
	st := &streamStats{}
	c := open(t, nil, st.config())
	p := prefix(t)
	ws := make([]*watch.Watcher, n)
	for i := range ws {
		w, err := watch.Open(ctx, c, watch.Key(fmt.Sprintf("%s%d", p, i%10)).WithCreatedNotify())
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = w
	}
	for i, w := range ws {
		if r, err := w.Next(ctx); err != nil || !r.Created {
			t.Fatalf("watch %d: first response %+v, %v; want created", i, r, err)
		}
	}
	put := func(round int) int64 {
		var rev int64
		for k := range 10 {
			r, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, k)).WithValue(fmt.Sprint(round)))
			if err != nil {
				t.Fatal(err)
			}
			rev = r.Header.Revision
		}
		return rev
	}
	expect := func(ws []*watch.Watcher, round int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(ws))
		for i, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := w.Next(ctx)
				switch {
				case err != nil:
					errs <- fmt.Errorf("watch %d: %v", i, err)
				case len(r.Events) != 1 || string(r.Events[0].KV.Value) != fmt.Sprint(round):
					errs <- fmt.Errorf("watch %d: got %+v, want value %d", i, r.Events, round)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	put(1)
	expect(ws, 1)
	s := st.snapshot()
	if s.opened != 1 || len(s.creates) != n || s.cancels != 0 {
		t.Fatalf("after %d watches: %d streams, %d creates, %d cancels; want 1, %d, 0", n, s.opened, len(s.creates), s.cancels, n)
	}
	if !slices.Equal(s.hasLeader, []string{"true"}) {
		t.Errorf("hasleader metadata %q, want [true]", s.hasLeader)
	}

	for _, w := range ws[:n/2] {
		w.Close()
	}
	for i, w := range ws[:n/2] {
		if _, err := w.Next(ctx); err == nil {
			t.Fatalf("closed watch %d delivered", i)
		}
	}
	// The cancels leave asynchronously; wait for gRPC to have seen them.
	for deadline := time.Now().Add(30 * time.Second); st.snapshot().cancels < n/2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	put(2)
	expect(ws[n/2:], 2)
	s = st.snapshot()
	if s.opened != 1 || s.cancels != n/2 {
		t.Fatalf("after closing %d: %d streams, %d cancels; want 1, %d", n/2, s.opened, s.cancels, n/2)
	}

	for _, w := range ws[n/2:] {
		w.Close()
	}
	for deadline := time.Now().Add(30 * time.Second); st.snapshot().ended < 1 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	// Each watch closed while others remain is cancelled on its own; the
	// last one goes with the stream.
	if s := st.snapshot(); s.ended != 1 || s.cancels < n/2 || s.cancels >= n {
		t.Fatalf("after the last watch: %d streams ended, %d cancels; want 1 and from %d to %d", s.ended, s.cancels, n/2, n-1)
	}
	w, err := watch.Open(ctx, c, watch.Key(p+"0").WithCreatedNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Next(ctx); err != nil {
		t.Fatal(err)
	}
	if s := st.snapshot(); s.opened != 2 {
		t.Errorf("%d streams after a new watch, want 2", s.opened)
	}
}

// TestRequireLeaderStreams checks that watches that opt out of the leader
// requirement share a second stream without the metadata.
func TestRequireLeaderStreams(t *testing.T) {
	ctx := testCtx(t)
	st := &streamStats{}
	c := open(t, nil, st.config())
	p := prefix(t)
	var ws []*watch.Watcher
	for i := range 4 {
		r := watch.Prefix(p).WithCreatedNotify()
		if i%2 == 1 {
			r = r.WithoutRequireLeader()
		}
		w, err := watch.Open(ctx, c, r)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		ws = append(ws, w)
	}
	for _, w := range ws {
		if _, err := w.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := st.snapshot()
	slices.Sort(s.hasLeader)
	if s.opened != 2 || !slices.Equal(s.hasLeader, []string{"true"}) {
		t.Errorf("%d streams with hasleader %q; want 2 streams, one with [true]", s.opened, s.hasLeader)
	}
}

// TestGoroutinesEnd checks that the stream's goroutines end when the last
// watch does, while the connection stays open, and when the connection
// closes under running watches and a mirror, which then report
// conn.ErrClosed.
func TestGoroutinesEnd(t *testing.T) {
	ctx := testCtx(t)
	// Only the client's goroutines are counted: the shared server runs in
	// this process, and its side of the connection and of each stream
	// starts and ends on the server's schedule (see etcdtest.Goroutines).
	// Everything the connection starts must end when it is closed.
	beforeConn := etcdtest.SnapshotGoroutines()
	// Without gRPC's health check: its stream (and the embedded server's
	// end of it) may start after conn.New returns, and belongs to neither
	// the watches nor this test.
	c, err := conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(), DialOptions: []grpc.DialOption{grpc.WithDisableHealthCheck()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// What the watches start must end when the last one is closed, while
	// the connection stays open.
	before := etcdtest.SnapshotGoroutines()
	p := prefix(t)
	var ws []*watch.Watcher
	for i := range 20 {
		r := watch.Prefix(p).WithCreatedNotify()
		if i%3 == 0 {
			r = r.WithoutRequireLeader()
		}
		w, err := watch.Open(ctx, c, r)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	for _, w := range ws {
		if _, err := w.Next(ctx); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	if left := before.Leaked(); len(left) > 0 {
		t.Fatalf("goroutines left after every watch closed:\n\n%s", strings.Join(left, "\n\n"))
	}

	w, err := watch.Open(ctx, c, watch.Prefix(p))
	if err != nil {
		t.Fatal(err)
	}
	m, err := watch.OpenMirror(ctx, c, watch.Prefix(p))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	cw, err := watch.Open(wctx, c, watch.Prefix(p))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-cw.Done()
	if err := cw.Err(); !errorsIs(err, context.Canceled) {
		t.Errorf("watch after its context ended: %v", err)
	}
	c.Close()
	<-w.Done()
	<-m.Done()
	for name, err := range map[string]error{"watch": w.Err(), "mirror": m.Err()} {
		if !errorsIs(err, conn.ErrClosed) {
			t.Errorf("%s after Conn.Close: %v, want conn.ErrClosed", name, err)
		}
	}
	if _, err := watch.Open(ctx, c, watch.Prefix(p)); !errorsIs(err, conn.ErrClosed) {
		t.Errorf("Open on a closed connection: %v, want conn.ErrClosed", err)
	}
	if _, err := watch.OpenMirror(ctx, c, watch.Prefix(p)); !errorsIs(err, conn.ErrClosed) {
		t.Errorf("OpenMirror on a closed connection: %v, want conn.ErrClosed", err)
	}
	if err := w.RequestProgress(ctx); !errorsIs(err, conn.ErrClosed) {
		t.Errorf("RequestProgress on an ended watch: %v, want conn.ErrClosed", err)
	}
	m.Close()
	if left := beforeConn.Leaked(); len(left) > 0 {
		t.Fatalf("goroutines left after the connection closed:\n\n%s", strings.Join(left, "\n\n"))
	}
}
