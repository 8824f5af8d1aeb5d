package healthtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/watch"
)

// streamEnds records the errors with which the watch package reported its
// stream ended ("watch stream ended, resuming its watches"), and when.
type streamEnds struct {
	mu   sync.Mutex
	ends []streamEnd
}

type streamEnd struct {
	at  time.Time
	err error
}

func (h *streamEnds) Enabled(context.Context, slog.Level) bool { return true }
func (h *streamEnds) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *streamEnds) WithGroup(string) slog.Handler            { return h }
func (h *streamEnds) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "getcd: watch stream ended, resuming its watches" {
		return nil
	}
	e := streamEnd{at: r.Time}
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			e.err = err
		}
		return true
	})
	h.mu.Lock()
	h.ends = append(h.ends, e)
	h.mu.Unlock()
	return nil
}

func (h *streamEnds) after(t time.Time) []streamEnd {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(h.ends), func(e streamEnd) bool { return e.at.Before(t) })
}

// On three processes, a connection whose only call is a watch has it on a
// member that is then cut off from its peers, its client port still
// reachable. Nothing is refused there: a watch on a member without a
// leader just goes quiet, and etcd ends the streams of such a member only
// after three election timeouts without one. The connection probes a
// member that holds its streams: it finds the member without a leader,
// takes it out of rotation and, a probe later, closes its connections to
// it. So:
//   - the watch stream on the cut-off member ends because the connection
//     closed it, not with etcd's "no leader" (etcd's monitor would have,
//     about two seconds later with this probe interval);
//   - the watch resumes on another member while the partition lasts, and
//     every write made meanwhile through the others arrives once, in order.
//
// The time from the cut to the first event from another member is logged.
func TestPartitionedWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	lw := startLoneWatch(t)
	cl, ctx, eps, ends, w, first, prefix := lw.cl, lw.ctx, lw.cl.Endpoints(), lw.ends, lw.w, lw.first, lw.prefix
	victim, victimID := lw.member, lw.memberID
	// The cut-off member is a follower: with the leader cut off, a put that
	// another member forwarded to it just before would wait for etcd's
	// request timeout (TestPartitionedLeader has that case). If the watch
	// is on the leader, the leadership moves.
	if lw.leader == victimID {
		other := lw.ids[(victim+1)%len(lw.ids)]
		t.Logf("the watch is on the leader %x: the leadership moves to %x", victimID, other)
		if _, err := maintenance.MoveLeader(ctx, lw.admin, maintenance.New().WithTarget(other)); err != nil {
			t.Fatal(err)
		}
	}
	vm := cl.Members[victim]
	others := slices.DeleteFunc(slices.Clone(eps), func(e string) bool { return e == vm.Endpoint() })
	writer := open(t, conn.Config{Endpoints: others})

	// A writer through the two others, one put at a time, until stopped.
	var (
		mu   sync.Mutex
		revs []int64 // revisions of the acknowledged puts
		wErr error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			p, err := writer.Put(pctx, kv.New().WithKey(prefix+strconv.Itoa(i%20)).WithValue(strconv.Itoa(i)))
			cancel()
			mu.Lock()
			if err != nil {
				wErr = err
			} else {
				revs = append(revs, p.Header.Revision)
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	})

	seen := []int64{first.Header.Revision}
	var movedAt time.Time
	cutAt := time.Now()
	if err := cl.IsolatePeers(vm); err != nil {
		t.Fatal(err)
	}
	// Events until one comes from another member, and some more from it.
	for movedAt.IsZero() || time.Since(movedAt) < time.Second {
		r, err := w.Next(ctx)
		if err != nil {
			mu.Lock()
			t.Fatalf("watch: %v (events seen up to %d, %d puts, writer error %v); stream ends after the cut %v; status %+v",
				err, seen[len(seen)-1], len(revs), wErr, ends.after(cutAt), lw.c.Status())
		}
		if movedAt.IsZero() && r.Header.MemberID != victimID {
			movedAt = time.Now()
		}
		for _, ev := range r.Events {
			seen = append(seen, ev.KV.ModRevision)
		}
	}
	healAt := time.Now()
	if err := cl.HealPeers(vm); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if wErr != nil {
		t.Fatalf("a put through the members that kept their leader failed: %v", wErr)
	}
	last, err := writer.Put(ctx, kv.New().WithKey(prefix+"last").WithValue("x"))
	if err != nil {
		t.Fatal(err)
	}
	for seen[len(seen)-1] < last.Header.Revision {
		r, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("watch after the heal: %v", err)
		}
		for _, ev := range r.Events {
			seen = append(seen, ev.KV.ModRevision)
		}
	}

	want := append([]int64{first.Header.Revision}, revs...)
	want = append(want, last.Header.Revision)
	if !slices.Equal(seen, want) {
		t.Errorf("the watch saw %d events, want the %d puts once each, in order: first difference %s",
			len(seen), len(want), firstDifference(seen, want))
	}
	ended := ends.after(cutAt)
	if len(ended) == 0 {
		t.Fatal("the watch stream on the cut-off member never ended")
	}
	t.Logf("cut at 0: the watch stream ended %v later (%v); first event from another member %v later; %d puts during the %v cut",
		ended[0].at.Sub(cutAt).Round(time.Millisecond), ended[0].err, movedAt.Sub(cutAt).Round(time.Millisecond),
		len(revs), healAt.Sub(cutAt).Round(time.Millisecond))
	if errors.Is(ended[0].err, conn.ErrNoLeader) {
		t.Errorf("the watch stream on the cut-off member was ended by etcd (%v), not freed by the connection", ended[0].err)
	}
	if st, _ := statusOf(lw.c, vm.Endpoint()); st.OutOfRotation {
		// It may come back later; only log.
		t.Logf("the healed member is still out of rotation at the end: %+v", st)
	}
}

// firstDifference describes where got and want first differ.
func firstDifference(got, want []int64) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: %d, want %d", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

// loneWatch is a connection whose only call is a watch, on a three-member
// cluster of processes, and where that watch is.
type loneWatch struct {
	cl     *etcdtest.Cluster
	ctx    context.Context
	c      *conn.Conn // the watch's connection: 250 ms probes, logs into ends
	admin  *conn.Conn
	prefix string // the watched prefix
	ends   *streamEnds
	w      *watch.Watcher
	first  *conn.PutResponse // the put the watch saw first
	ids    []uint64          // the members' IDs, in cl.Members order
	member int               // the index of the member the watch is on
	// memberID is that member's ID; leader the leader's, as the last
	// member asked says.
	memberID, leader uint64
}

// startLoneWatch starts a cluster, opens the watch, and finds its member
// from the header of its first event.
func startLoneWatch(t *testing.T) *loneWatch {
	t.Helper()
	lw := &loneWatch{cl: etcdtest.StartCluster(t, etcdBin, 3), ends: &streamEnds{}, member: -1}
	ctx, cancel := context.WithTimeout(testCtx(t), 40*time.Second)
	t.Cleanup(cancel)
	lw.ctx = ctx
	eps := lw.cl.Endpoints()
	lw.c = open(t, conn.Config{Endpoints: eps, ProbeInterval: 250 * time.Millisecond, Logger: slog.New(lw.ends)})
	lw.admin = open(t, conn.Config{Endpoints: eps})
	lw.prefix = etcdtest.KeyPrefix(t) + "/"
	w, err := watch.Open(ctx, lw.c, watch.New().WithKey(lw.prefix).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	lw.w = w
	if lw.first, err = lw.admin.Put(ctx, kv.New().WithKey(lw.prefix+"first").WithValue("x")); err != nil {
		t.Fatal(err)
	}
	r, err := w.Next(ctx)
	if err != nil || len(r.Events) != 1 || r.Revision() != lw.first.Header.Revision {
		t.Fatalf("first response %+v, %v; want the put at %d", r, err, lw.first.Header.Revision)
	}
	lw.memberID = r.Header.MemberID
	for i, m := range lw.cl.Members {
		st, err := maintenance.Status(ctx, lw.admin, maintenance.New().WithEndpoint(m.Endpoint()))
		if err != nil {
			t.Fatal(err)
		}
		lw.ids = append(lw.ids, st.Header.MemberID)
		if st.Header.MemberID == lw.memberID {
			lw.member = i
		}
		lw.leader = st.Leader
	}
	if lw.member < 0 {
		t.Fatalf("no member has the watch's member ID %x", lw.memberID)
	}
	return lw
}
