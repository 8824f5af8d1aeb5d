package faulttest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/watch"
)

// electionPause is about twice etcd's default election timeout (1000 ms).
const electionPause = 2 * time.Second

// TestScenarios runs every fault scenario of the suite, a short version by
// default and GETCD_SOAK times over with more faults each when that is set,
// under concurrent readers, writers, transactions, watchers and kept-alive
// leases, and logs one summary line per scenario (go test -v shows them).
func TestScenarios(t *testing.T) {
	n := soak()
	for _, sc := range []struct {
		name   string
		inject func(r *run)
	}{
		{"1-kill-leader", killLeader},
		{"2-kill-stream-member", killStreamMember},
		{"3-isolate-member", isolateMember},
		{"4-blackhole-client", blackholeClient},
		{"5-pause-member", pauseMember},
		{"7-restart-cluster", restartCluster},
		{"8-move-leader-defrag", moveLeaderDefrag},
		{"9-cancel-and-close", cancelAndClose},
		{"6-compact-lagging-watch", compactLaggingWatch},
		{"slow-lossy-client-link", slowLossyClient},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for i := range n {
				s := scenario(t, sc.name, processCluster, func(r *run) {
					for range n {
						sc.inject(r)
					}
				})
				t.Logf("round %d: %s", i+1, s)
			}
		})
	}
}

// 1: kill the leader and restart it, twice.
func killLeader(r *run) {
	for range 2 {
		l := r.waitLeader()
		r.cl.Members[l].Kill()
		r.faults++
		time.Sleep(time.Second)
		if err := r.cl.Members[l].Restart(); err != nil {
			r.t.Fatal(err)
		}
	}
}

// 3: cut a follower off from its peers, its client link up: it loses its
// leader, and clients on it must move on.
func isolateMember(r *run) {
	l := r.waitLeader()
	m := r.cl.Members[(l+1)%len(r.cl.Members)]
	if err := r.cl.IsolatePeers(m); err != nil {
		r.t.Fatal(err)
	}
	r.faults++
	time.Sleep(3 * time.Second)
	if err := r.cl.HealPeers(m); err != nil {
		r.t.Fatal(err)
	}
	r.waitLeader()
}

// 4: black-hole one member's client link: connections hang rather than
// fail, and only the keep-alive notices.
//
// A lease with a short TTL kept alive on a connection to that member alone
// cannot be renewed for longer than its TTL: the server expires it, and its
// handle must say it was lost (checked against the server at the end).
func blackholeClient(r *run) {
	m := r.cl.Members[0]
	lc := newConn(r.t, []string{m.Endpoint()})
	defer lc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	g, err := lease.Grant(ctx, lc, lease.TTL(shortTTL))
	cancel()
	var h *lease.Handle
	if err == nil {
		h, err = lease.KeepAlive(context.Background(), lc, lease.ID(g.ID))
	}
	if err != nil {
		r.t.Fatal(err)
	}
	m.ClientProxy().Blackhole(etcdtest.Both)
	r.faults++
	time.Sleep(3*time.Second + 2*shortTTL*time.Second)
	m.ClientProxy().Heal()
	m.ClientProxy().CloseConnections() // their byte streams are broken
	select {
	case <-h.Done():
	case <-time.After(30 * time.Second):
	}
	r.mu.Lock()
	r.leases = append(r.leases, h)
	r.mu.Unlock()
}

// shortTTL is the TTL of the lease that scenario 4 lets expire.
const shortTTL = 2

// Beyond the list: one member's client link slowed (75 ms +- 50 ms
// each way, as etcd's DelayPeerNetwork does for peers), then losing half of
// what the member answers, which breaks the connections' byte streams.
func slowLossyClient(r *run) {
	p := r.cl.Members[0].ClientProxy()
	p.Delay(etcdtest.Both, 50*time.Millisecond, 50*time.Millisecond)
	r.faults++
	time.Sleep(2 * time.Second)
	p.Heal()
	p.Drop(etcdtest.ToClient, 0.5)
	r.faults++
	time.Sleep(time.Second)
	p.Heal()
	p.CloseConnections()
}

// 5: pause the leader for about twice the election timeout.
func pauseMember(r *run) {
	l := r.waitLeader()
	m := r.cl.Members[l]
	if err := m.Pause(); err != nil {
		r.t.Fatal(err)
	}
	r.faults++
	time.Sleep(electionPause)
	if err := m.Resume(); err != nil {
		r.t.Fatal(err)
	}
	r.waitLeader()
}

// 7: lose quorum and regain it, then restart the whole cluster.
func restartCluster(r *run) {
	ms := r.cl.Members
	ms[1].Kill()
	ms[2].Kill()
	r.faults++
	time.Sleep(time.Second)
	restart(r, ms[1], ms[2])
	for _, m := range ms {
		m.Kill()
	}
	r.faults++
	time.Sleep(500 * time.Millisecond)
	restart(r, ms...)
	r.waitLeader()
}

// restart brings members back at once: one alone has no quorum to become
// healthy.
func restart(r *run, ms ...*node) {
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.Restart()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// 8: move the leadership to each follower in turn, and defragment every
// member, under load.
func moveLeaderDefrag(r *run) {
	for range 2 {
		l := r.waitLeader()
		target := r.cl.Members[(l+1)%len(r.cl.Members)]
		id, err := target.ID()
		if err != nil {
			r.t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = maintenance.MoveLeader(ctx, r.admin, maintenance.New().WithEndpoint(r.cl.Members[l].Endpoint()).WithTarget(id))
		cancel()
		if err != nil {
			r.t.Errorf("move leader: %v", err)
		}
		r.faults++
		for _, m := range r.cl.Members {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := maintenance.Defragment(ctx, r.admin, maintenance.New().WithEndpoint(m.Endpoint()))
			cancel()
			if err != nil {
				r.t.Errorf("defragment %s: %v", m.Name, err)
			}
			r.faults++
		}
	}
}

// 2: kill the member the first watcher's stream is on and the member the
// kept-alive leases' stream is on, one after the other when they differ,
// restarting each.
func killStreamMember(r *run) {
	watchID := r.ws[0].member.Load()
	leaseAt := r.leaseStream.endpoint()
	var victims []*node
	for _, m := range r.cl.Members {
		mid, err := m.ID()
		if err != nil {
			r.t.Fatal(err)
		}
		if mid == watchID || m.Endpoint() == leaseAt {
			victims = append(victims, m)
		}
	}
	if !slices.ContainsFunc(victims, func(m *node) bool { return m.Endpoint() == leaseAt }) ||
		!slices.ContainsFunc(victims, func(m *node) bool { id, _ := m.ID(); return id == watchID }) {
		r.t.Fatalf("the watch stream's member %x or the keep-alive stream's endpoint %q is not a member's", watchID, leaseAt)
	}
	for i, m := range victims {
		if i > 0 {
			r.waitLeader()
		}
		m.Kill()
		r.faults++
		time.Sleep(time.Second)
		if err := m.Restart(); err != nil {
			r.t.Fatal(err)
		}
	}
}

// 9: calls whose contexts end at random while in flight, then a
// connection closed under requests and watches. Every call returns a typed
// error (the clients' histories are checked with the rest: a cancelled
// write is of unknown outcome) and nothing hangs.
func cancelAndClose(r *run) {
	c := newConn(r.t, r.cl.Endpoints())
	ctx, cancel := context.WithCancel(context.Background())
	w, err := watch.Open(ctx, c, watch.Prefix("key").WithStartRevision(1))
	if err != nil {
		r.t.Fatal(err)
	}
	// A watch whose context ends.
	wctx, wcancel := context.WithCancel(context.Background())
	w2, err := watch.Open(wctx, c, watch.Prefix("key"))
	if err != nil {
		r.t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var ks []*kvClient
	for range 2 {
		k := newKVClient(r.rec, c)
		ks = append(ks, k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Deadlines from 1 to 20 ms end many calls in flight.
				k.step(time.Duration(1+k.rng.IntN(20)) * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	wcancel()
	r.faults++
	<-w2.Done()
	if err := w2.Err(); !errors.Is(err, context.Canceled) {
		r.violation("watch whose context ended: %v, want context.Canceled", err)
	}
	c.Close()
	r.faults++
	<-w.Done()
	if err := w.Err(); !errors.Is(err, conn.ErrClosed) {
		r.violation("watch on a closed connection: %v, want conn.ErrClosed", err)
	}
	close(stop)
	wg.Wait()
	cancel()
	r.mu.Lock()
	r.extra = append(r.extra, ks...)
	r.mu.Unlock()
}

// 6: a watch that lags (its consumer takes nothing, so it pauses) while the
// history it needs is compacted must end with conn.ErrCompacted and the
// compact revision, never skip silently.
func compactLaggingWatch(r *run) {
	c := newConn(r.t, r.cl.Endpoints())
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// From the oldest revision left: 1, or past an earlier round's
	// compaction when a soak repeats the fault.
	start := r.compacted + 1
	w, err := watch.Open(ctx, c, watch.Prefix("key").WithStartRevision(start).WithBuffer(1))
	if err != nil {
		r.t.Fatal(err)
	}
	defer w.Close()
	time.Sleep(500 * time.Millisecond) // more writes than the buffer holds
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	st, err := r.admin.Get(cctx, kv.New().WithKey("key").WithPrefix().WithCountOnly())
	if err == nil {
		_, err = r.admin.Compact(cctx, kv.New().WithRev(st.Header.Revision))
	}
	ccancel()
	if err != nil {
		r.t.Fatalf("compact: %v", err)
	}
	r.faults++
	r.compacted = st.Header.Revision
	got := start - 1 // the last revision delivered
	for {
		nctx, ncancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := w.Next(nctx)
		ncancel()
		if err != nil {
			var we *watch.Error
			switch {
			case !errors.Is(err, conn.ErrCompacted):
				r.violation("lagging watch ended with %v, want conn.ErrCompacted", err)
			case !errors.As(err, &we) || we.CompactRevision != st.Header.Revision:
				r.violation("lagging watch's error %v does not carry the compact revision %d", err, st.Header.Revision)
			case we.Next != got+1:
				r.violation("lagging watch ended before %d, but delivered up to %d", we.Next, got)
			}
			return
		}
		for _, ev := range resp.Events {
			if ev.KV.ModRevision <= got {
				r.violation("lagging watch went back from %d to %d", got, ev.KV.ModRevision)
			}
			got = ev.KV.ModRevision
		}
		if got >= st.Header.Revision {
			r.violation("lagging watch delivered up to %d, past the compaction at %d, without an error", got, st.Header.Revision)
			return
		}
	}
}

// TestContainerScenarios runs scenarios 1, 3 and 7 on a cluster of
// containers (etcdtest.StartContainerCluster): a partition is a container
// taken off the peer network. Without a Docker daemon it is skipped.
func TestContainerScenarios(t *testing.T) {
	n := soak()
	for _, sc := range []struct {
		name   string
		inject func(r *run)
	}{
		{"1-kill-leader", killLeader},
		{"3-isolate-member", isolateMember},
		{"7-restart-cluster", restartCluster},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for i := range n {
				s := scenario(t, "containers-"+sc.name, containerCluster, func(r *run) {
					for range n {
						sc.inject(r)
					}
				})
				t.Logf("round %d: %s", i+1, s)
			}
		})
	}
}
