package healthtest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
	"github.com/getcd/getcd/registry"
)

// opRecord is one call of the workload.
type opRecord struct {
	start time.Time
	write bool
	err   error
}

// workload runs linearizable gets and puts on c from several goroutines
// until stop is called, and keeps a record of every call.
type workload struct {
	mu   sync.Mutex
	ops  []opRecord
	stop chan struct{}
	wg   sync.WaitGroup
}

func startWorkload(c *conn.Conn, prefix string, workers int) *workload {
	w := &workload{stop: make(chan struct{})}
	for g := range workers {
		w.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-w.stop:
					return
				default:
				}
				key := prefix + strconv.Itoa(g) + "/" + strconv.Itoa(i%50)
				for _, write := range []bool{true, false} {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					start := time.Now()
					var err error
					if write {
						_, err = c.Put(ctx, kv.New().WithKey(key).WithValue("v"+strconv.Itoa(i)))
					} else {
						_, err = c.Get(ctx, kv.New().WithKey(key))
					}
					cancel()
					w.mu.Lock()
					w.ops = append(w.ops, opRecord{start: start, write: write, err: err})
					w.mu.Unlock()
				}
			}
		})
	}
	return w
}

func (w *workload) finish() []opRecord {
	close(w.stop)
	w.wg.Wait()
	return w.ops
}

// window is a span of time in which no call may fail.
type window struct{ from, to time.Time }

// On three processes, one follower is cut off from its peers while its
// client port stays reachable, and the client lists it first. Once the
// connection has taken it out of rotation (detection), no linearizable read
// or write started afterwards may fail; after the partition heals the
// member returns to rotation. Three rounds; the delays are logged.
func TestPartitionedFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	pc := startProxiedCluster(t, 3)
	ctx := testCtx(t)
	var eps []string
	for _, m := range pc.members {
		eps = append(eps, m.client)
	}
	admin := open(t, conn.Config{Endpoints: eps})
	list, err := membership.List(ctx, admin, membership.New().WithLinearizable())
	if err != nil {
		t.Fatal(err)
	}
	peerIDs, clientIDs := map[string]uint64{}, map[string]uint64{}
	for _, m := range list.Members {
		for _, u := range m.PeerURLs {
			peerIDs[u] = m.ID
		}
		for _, u := range m.ClientURLs {
			clientIDs[strings.TrimPrefix(u, "http://")] = m.ID
		}
	}
	if err := pc.setIDs(peerIDs); err != nil {
		t.Fatal(err)
	}
	st, err := maintenance.Status(ctx, admin, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	// The victim is a follower, listed first.
	victim := slices.IndexFunc(pc.members, func(m *proxiedMember) bool { return clientIDs[m.client] != st.Leader })
	vm := pc.members[victim]
	order := append([]string{vm.client}, slices.DeleteFunc(slices.Clone(eps), func(e string) bool { return e == vm.client })...)
	c := open(t, conn.Config{Endpoints: order})
	reg := registry.New()
	if err := reg.Add("main", c); err != nil {
		t.Fatal(err)
	}

	w := startWorkload(c, etcdtest.KeyPrefix(t)+"/", 8)
	const rounds = 3
	var (
		windows          []window
		detect, backIn   []time.Duration
		infoWhileOut     string
		lastStatusWhyOut error
	)
	for round := range rounds {
		time.Sleep(time.Second)
		cutAt := time.Now()
		if len(windows) > 0 {
			windows[len(windows)-1].to = cutAt
		}
		pc.f.cut(vm.proxy.memberID())
		var out conn.EndpointStatus
		eventually(t, ctx, "the cut-off member leaves the rotation", func() bool {
			out, _ = statusOf(c, vm.client)
			return out.OutOfRotation
		})
		detect = append(detect, out.OutSince.Sub(cutAt))
		windows = append(windows, window{from: out.OutSince})
		if round == 0 {
			infoWhileOut = reg.Info().String()
		}
		time.Sleep(2 * time.Second)
		out, _ = statusOf(c, vm.client)
		if !out.OutOfRotation {
			t.Errorf("round %d: the member came back while still cut off: %+v", round, out)
		}
		lastStatusWhyOut = out.OutReason
		healAt := time.Now()
		pc.f.heal()
		eventually(t, ctx, "the healed member returns to rotation", func() bool {
			st, _ := statusOf(c, vm.client)
			return !st.OutOfRotation
		})
		backIn = append(backIn, time.Since(healAt))
	}
	time.Sleep(time.Second)
	windows[len(windows)-1].to = time.Now()
	ops := w.finish()

	var afterDetect, failedAfter, before, failedBefore int
	failures := map[string]int{}
	for _, op := range ops {
		in := slices.ContainsFunc(windows, func(win window) bool { return !op.start.Before(win.from) && op.start.Before(win.to) })
		if in {
			afterDetect++
		} else {
			before++
		}
		if op.err == nil {
			continue
		}
		if in {
			failedAfter++
			failures[op.err.Error()]++
		} else {
			failedBefore++
		}
	}
	t.Logf("detection delay per round: %v; back in rotation after healing: %v", detect, backIn)
	t.Logf("calls started after detection: %d, failed: %d; other calls: %d, failed: %d (in flight on the member when it was cut off)",
		afterDetect, failedAfter, before, failedBefore)
	t.Logf("registry.Info() while the member was out:\n%s", infoWhileOut)
	if failedAfter != 0 {
		t.Errorf("%d calls started after detection failed: %v", failedAfter, failures)
	}
	if afterDetect == 0 {
		t.Error("no call was started after detection; the workload proves nothing")
	}
	if !errors.Is(lastStatusWhyOut, conn.ErrNoLeader) {
		t.Errorf("OutReason = %v, want an error matching conn.ErrNoLeader", lastStatusWhyOut)
	}
	if !strings.Contains(infoWhileOut, vm.client) || !strings.Contains(infoWhileOut, "out of rotation") || !strings.Contains(infoWhileOut, "no leader") {
		t.Errorf("registry.Info() while out does not say so:\n%s", infoWhileOut)
	}
}
