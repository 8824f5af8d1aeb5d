package faulttest

import (
	"testing"
	"time"
)

// TestFollowerKill kills a follower under the scenarios' traffic (readers,
// writers, transactions, watchers, kept-alive leases) and brings it back;
// the history goes through the same checkers as every scenario's. Beyond
// them: traffic ran while the follower was down, and no read failed, for a
// read caught on the follower is retried on the other members.
func TestFollowerKill(t *testing.T) {
	var readsWhileDown int64
	s := scenario(t, "follower-kill", processCluster, func(r *run) {
		l := r.waitLeader()
		victim := r.cl.Members[(l+1)%len(r.cl.Members)]
		before := r.rec.reads.Load()
		victim.Kill()
		r.faults++
		time.Sleep(1500 * time.Millisecond)
		readsWhileDown = r.rec.reads.Load() - before
		if err := victim.Restart(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%s; %d reads while the follower was down, %d reads failed", s, readsWhileDown, s.readsFailed)
	if s.readsFailed != 0 {
		t.Errorf("%d reads failed while a follower was down", s.readsFailed)
	}
	if readsWhileDown == 0 {
		t.Errorf("no read while the follower was down")
	}
}

// TestLeaderKill kills the leader under the scenarios' traffic, waits
// until the others elect a new one, and restarts it; the history goes
// through the same checkers as every scenario's (calls may fail during the
// election, each with a typed error; no acknowledged write lost or applied
// twice; the last write succeeds). Beyond them: writes are acknowledged
// again while the old leader is still down.
func TestLeaderKill(t *testing.T) {
	var writesWhileDown int64
	s := scenario(t, "leader-kill", processCluster, func(r *run) {
		l := r.waitLeader()
		r.cl.Members[l].Kill()
		r.faults++
		down := time.Now()
		nl := r.waitLeader() // one of the others: the killed member answers nothing
		elected := time.Since(down)
		before := r.rec.writesAcked.Load()
		for deadline := time.Now().Add(10 * time.Second); r.rec.writesAcked.Load() == before && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		writesWhileDown = r.rec.writesAcked.Load() - before
		t.Logf("%s killed; %s led %v later; down for %v", r.cl.Members[l].Name, r.cl.Members[nl].Name,
			elected.Round(time.Millisecond), time.Since(down).Round(time.Millisecond))
		if err := r.cl.Members[l].Restart(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%s; %d writes acknowledged under the new leader before the old one restarted", s, writesWhileDown)
	if writesWhileDown == 0 {
		t.Errorf("no write acknowledged under the new leader")
	}
}
