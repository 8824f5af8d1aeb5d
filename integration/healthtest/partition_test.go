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
	"github.com/getcd/getcd/registry"
)

// opRecord is one call of the workload.
type opRecord struct {
	start, end time.Time
	write      bool
	err        error
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
					end := time.Now()
					cancel()
					w.mu.Lock()
					w.ops = append(w.ops, opRecord{start: start, end: end, write: write, err: err})
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

// round is one cut of the partition test: when the member was cut off from
// its peers, when the connection took it out of rotation (detection), when
// the partition healed, and when the next round began.
type round struct{ cut, detect, heal, next time.Time }

// On three processes, one follower is cut off from its peers while its
// client port stays reachable, and the client lists it first. Eight workers
// run linearizable puts and gets, one call at a time each, with a 20 s
// deadline. The member holds the calls it accepted after the cut; once the
// connection has taken it out of rotation (detection) and a probe finds it
// still without a leader, the connection closes its network connections to
// it, which frees them: reads go to another member, writes report an
// unknown outcome. So, in every round:
//   - calls start and succeed while the member is still cut off (the
//     others serve);
//   - no call started after detection fails;
//   - no read fails at all; a write fails only with an unknown outcome,
//     and only one already under way at detection;
//
// and after the partition heals the member returns to rotation. Three
// rounds; the delays are logged.
//
// TestPartitionedLeader does the same with the leader.
func TestPartitionedFollower(t *testing.T) { partitionRounds(t, false, 3) }

// The same with the leader cut off, once: it steps down when it no longer
// hears from a quorum (etcd's check-quorum), the other two elect a new one,
// and the old leader, without one, leaves the rotation.
func TestPartitionedLeader(t *testing.T) { partitionRounds(t, true, 1) }

// partitionRounds cuts one member off rounds times: the leader at the
// start if leader is true, a follower otherwise.
func partitionRounds(t *testing.T, leader bool, rounds int) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	ctx := testCtx(t)
	eps := cl.Endpoints()
	admin := open(t, conn.Config{Endpoints: eps})
	st, err := maintenance.Status(ctx, admin, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	// The victim is listed first.
	victim := slices.IndexFunc(cl.Members, func(m *etcdtest.Member) bool {
		id, err := m.ID()
		if err != nil {
			t.Fatal(err)
		}
		return (id == st.Leader) == leader
	})
	vm := cl.Members[victim]
	order := append([]string{vm.Endpoint()}, slices.DeleteFunc(slices.Clone(eps), func(e string) bool { return e == vm.Endpoint() })...)
	c := open(t, conn.Config{Endpoints: order})
	reg := registry.New()
	if err := reg.Add("main", c); err != nil {
		t.Fatal(err)
	}

	w := startWorkload(c, etcdtest.KeyPrefix(t)+"/", 8)
	var (
		rs               []round
		backIn           []time.Duration
		infoWhileOut     string
		lastStatusWhyOut error
	)
	for r := range rounds {
		time.Sleep(time.Second)
		cutAt := time.Now()
		if len(rs) > 0 {
			rs[len(rs)-1].next = cutAt
		}
		if err := cl.IsolatePeers(vm); err != nil {
			t.Fatal(err)
		}
		var out conn.EndpointStatus
		eventually(t, ctx, "the cut-off member leaves the rotation", func() bool {
			out, _ = statusOf(c, vm.Endpoint())
			return out.OutOfRotation
		})
		if r == 0 {
			infoWhileOut = reg.Info().String()
		}
		// Long enough for the probe that frees the member's calls (one
		// ProbeInterval after detection) and for calls served by the
		// others after it.
		time.Sleep(3 * time.Second)
		st, _ := statusOf(c, vm.Endpoint())
		if !st.OutOfRotation {
			t.Errorf("round %d: the member came back while still cut off: %+v", r, st)
		}
		lastStatusWhyOut = st.OutReason
		healAt := time.Now()
		if err := cl.HealPeers(vm); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, round{cut: cutAt, detect: out.OutSince, heal: healAt})
		eventually(t, ctx, "the healed member returns to rotation", func() bool {
			st, _ := statusOf(c, vm.Endpoint())
			return !st.OutOfRotation
		})
		backIn = append(backIn, time.Since(healAt))
	}
	time.Sleep(time.Second)
	rs[len(rs)-1].next = time.Now()
	ops := w.finish()

	failures := map[string]int{}
	var readFailures, otherWriteFailures int
	for _, op := range ops {
		if op.err == nil {
			continue
		}
		switch {
		case !op.write:
			readFailures++
			failures["read: "+op.err.Error()]++
		case !errors.Is(op.err, conn.ErrUnknownOutcome):
			otherWriteFailures++
			failures["write: "+op.err.Error()]++
		}
	}
	for i, r := range rs {
		// A call started before the next cut but still under way at the
		// next detection is that round's to free, not this one's.
		nextDetect := r.next
		if i+1 < len(rs) {
			nextDetect = rs[i+1].detect
		}
		var served, startedAfter, failedAfter, held, heldFailed int
		var freed time.Duration // from detection to the end of the last call held at detection
		for _, op := range ops {
			switch {
			case !op.start.Before(r.detect) && op.start.Before(r.next) && op.end.After(nextDetect):
				// under way at the next detection: counted there
			case !op.start.Before(r.detect) && op.start.Before(r.next):
				startedAfter++
				if op.err != nil {
					failedAfter++
					t.Logf("round %d: a call started %v after detection failed %v after it: %v",
						i, op.start.Sub(r.detect), op.end.Sub(r.detect), op.err)
				} else if op.end.Before(r.heal) {
					served++
				}
			case op.start.Before(r.detect) && op.end.After(r.detect):
				held++
				if op.err != nil {
					heldFailed++
				}
				freed = max(freed, op.end.Sub(r.detect))
			}
		}
		t.Logf("round %d: detection %v after the cut; %d calls under way at detection, %d of them failed (writes with an unknown outcome), the last ended %v after detection; after detection %d calls started, %d failed, %d succeeded before the heal %v later; back in rotation %v after the heal",
			i, r.detect.Sub(r.cut).Round(time.Millisecond), held, heldFailed, freed.Round(time.Millisecond),
			startedAfter, failedAfter, served, r.heal.Sub(r.detect).Round(time.Millisecond), backIn[i].Round(time.Millisecond))
		if served == 0 {
			t.Errorf("round %d: no call succeeded while the member was out and still cut off: the others did not serve", i)
		}
		if failedAfter != 0 {
			t.Errorf("round %d: %d calls started after detection failed", i, failedAfter)
		}
	}
	t.Logf("calls: %d; registry.Info() while the member was out:\n%s", len(ops), infoWhileOut)
	if readFailures != 0 || otherWriteFailures != 0 {
		t.Errorf("%d reads failed and %d writes failed other than with an unknown outcome", readFailures, otherWriteFailures)
	}
	if len(failures) > 0 {
		t.Logf("failures: %v", failures)
	}
	if !errors.Is(lastStatusWhyOut, conn.ErrNoLeader) {
		t.Errorf("OutReason = %v, want an error matching conn.ErrNoLeader", lastStatusWhyOut)
	}
	if !strings.Contains(infoWhileOut, vm.Endpoint()) || !strings.Contains(infoWhileOut, "out of rotation") || !strings.Contains(infoWhileOut, "no leader") {
		t.Errorf("registry.Info() while out does not say so:\n%s", infoWhileOut)
	}
}
