package faulttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
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
		{"3-isolate-member", isolateMember},
		{"4-blackhole-client", blackholeClient},
		{"5-pause-member", pauseMember},
		{"7-restart-cluster", restartCluster},
		{"8-move-leader-defrag", moveLeaderDefrag},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for i := range n {
				s := scenario(t, sc.name, func(r *run) {
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
func blackholeClient(r *run) {
	m := r.cl.Members[0]
	m.ClientProxy().Blackhole(etcdtest.Both)
	r.faults++
	time.Sleep(3 * time.Second)
	m.ClientProxy().Heal()
	m.ClientProxy().CloseConnections() // their byte streams are broken
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
func restart(r *run, ms ...*etcdtest.Member) {
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
