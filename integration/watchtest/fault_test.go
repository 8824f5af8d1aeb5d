package watchtest

import (
	"context"
	"errors"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/watch"
)

// TestServerRestarts kills a single-member etcd process three times and
// starts it again on the same data directory and ports, while a writer does
// puts, deletes and transactions. Every watch variant (filters, prev_kv, a
// single key, a slow consumer with a tiny buffer, a watch that does not
// require a leader) must deliver exactly the history, and the mirror must
// equal a fresh get.
func TestServerRestarts(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 1)
	member := cl.Members[0]
	st := &streamStats{}
	wc := open(t, cl.Endpoints(), st.config())
	writeConn := open(t, cl.Endpoints(), conn.Config{})
	const restarts = 3
	faultRun(t, wc, writeConn, "restart/", func(*collector) {
		for range restarts {
			time.Sleep(600 * time.Millisecond)
			member.Kill()
			if err := member.Restart(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
	})
	s := st.snapshot()
	t.Logf("watch streams opened %d, create requests %d, cancel requests %d", s.opened, len(s.creates), s.cancels)
	// Two groups (leader required or not), each resumed after every restart.
	if s.opened < 2*(1+restarts) {
		t.Errorf("%d watch streams opened; %d restarts of 2 streams need at least %d", s.opened, restarts, 2*(1+restarts))
	}
}

// TestMemberKills runs the same check on a three-member cluster: the member
// serving the watch stream is killed, then the leader, then the serving
// member again. Afterwards two members are killed, so that the last one has
// no leader: a watch on it ends, when its context does, with an error that
// says so.
func TestMemberKills(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	wc := open(t, cl.Endpoints(), conn.Config{})
	writeConn := open(t, cl.Endpoints(), conn.Config{})
	ids := memberIDs(t, cl)
	faultRun(t, wc, writeConn, "kill/", func(probe *collector) {
		for round := range 3 {
			time.Sleep(700 * time.Millisecond)
			probe.mu.Lock()
			serving := probe.member
			probe.mu.Unlock()
			victim, ok := ids[serving]
			if round == 1 {
				victim, ok = leaderOf(t, cl), true
			}
			if !ok {
				t.Fatalf("round %d: the watch has no serving member yet", round)
			}
			t.Logf("round %d: killing %s (the watch is on member %x)", round, cl.Members[victim].Name, serving)
			cl.Members[victim].Kill()
			time.Sleep(1500 * time.Millisecond)
			if err := cl.Members[victim].Restart(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
	})

	t.Run("no leader", func(t *testing.T) {
		survivor := cl.Members[2]
		cl.Members[0].Kill()
		cl.Members[1].Kill()
		c := open(t, []string{survivor.Endpoint()}, conn.Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		w, err := watch.Open(ctx, c, watch.Prefix("kill/"))
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		for _, err := range w.Events() {
			if err == nil {
				t.Fatal("an event without a quorum")
			}
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, conn.ErrNoLeader) {
				t.Fatalf("watch ended with %v, want the deadline and conn.ErrNoLeader", err)
			}
			t.Logf("watch ended: %v", err)
		}
	})
}

// memberIDs maps each member's ID to its index, asking each for its status
// on a connection of its own.
func memberIDs(t *testing.T, cl *etcdtest.Cluster) map[uint64]int {
	t.Helper()
	out := map[uint64]int{}
	for i, m := range cl.Members {
		st := status(t, m)
		out[st.Header.MemberId] = i
	}
	return out
}

// leaderOf returns the index of the leader.
func leaderOf(t *testing.T, cl *etcdtest.Cluster) int {
	t.Helper()
	ids := memberIDs(t, cl)
	st := status(t, cl.Members[0])
	i, ok := ids[st.Leader]
	if !ok {
		t.Fatalf("leader %x is not a member", st.Leader)
	}
	return i
}

func status(t *testing.T, m *etcdtest.Member) *pb.StatusResponse {
	t.Helper()
	c := open(t, []string{m.Endpoint()}, conn.Config{})
	defer c.Close()
	st := &pb.StatusResponse{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ClientConn().Invoke(ctx, "/etcdserverpb.Maintenance/Status", &pb.StatusRequest{}, st); err != nil {
		t.Fatal(err)
	}
	return st
}
