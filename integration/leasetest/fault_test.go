package leasetest

import (
	"errors"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

// TestRestart stops a single-member cluster and starts it again on the same
// data directory and port: the keep-alive stream is opened again and renewal
// goes on. Once the restart takes about as long as the TTL (1.5 × TTL
// down), once it does not: etcd gives every lease a fresh TTL when a leader
// takes over, so the lease lives either way, and the handle, which asks the
// server before it reports anything, must not report it lost.
func TestRestart(t *testing.T) {
	const ttl = 3
	for _, tc := range []struct {
		name string
		down time.Duration
	}{
		{"within TTL", 0},
		{"down longer than TTL", ttl * time.Second * 3 / 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := etcdtest.StartCluster(t, etcdBin, 1)
			m := cl.Members[0]
			c, cnt := open(t, cl.Endpoints())
			ctx := testCtx(t)
			g := grant(t, c, ttl)
			h, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
			if err != nil {
				t.Fatal(err)
			}
			asked := cnt.timeToLive.Load()
			killed := time.Now()
			m.Kill()
			time.Sleep(tc.down)
			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
			restarted := time.Now()
			waitFor(t, "a renewal after the restart", func() bool { return h.LastAck().After(restarted) || h.Err() != nil })
			checks := cnt.timeToLive.Load() - asked
			if err := h.Err(); err != nil {
				t.Fatalf("keep-alive ended across a restart: %v", err)
			}
			r, err := lease.TimeToLive(ctx, c, lease.ID(g.ID))
			if err != nil || r.TTL <= 0 {
				t.Fatalf("the server after the restart: %+v, %v; want the lease alive", r, err)
			}
			if got := cnt.keepAlive.Load(); got < 2 {
				t.Errorf("%d keep-alive streams opened, want the first and at least one after the restart", got)
			}
			if tc.down > 0 && checks == 0 {
				t.Errorf("no acknowledgement for longer than the TTL, and the handle never asked the server")
			}
			t.Logf("down %v; renewed again %v after the kill; %d streams; %d time-to-live checks",
				tc.down, h.LastAck().Sub(killed).Round(time.Millisecond), cnt.keepAlive.Load(), checks)
			h.Stop()
		})
	}
}

// TestCluster runs on one three-member cluster of processes: first its
// leader is killed under a kept lease, then the client's only member is
// stopped for longer than the TTL.
func TestCluster(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	t.Run("leader killed", func(t *testing.T) { leaderKilled(t, cl) })
	t.Run("cut off longer than TTL", func(t *testing.T) { cutOff(t, cl) })
}

// leaderKilled: a lease kept alive through a connection to every member
// outlives the death of the leader: the stream (whichever member it was on)
// goes on or is opened again, and a new leader renews the lease.
func leaderKilled(t *testing.T, cl *etcdtest.Cluster) {
	const ttl = 3
	c, cnt := open(t, cl.Endpoints())
	ctx := testCtx(t)
	g := grant(t, c, ttl)
	h, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	leader := leaderOf(t, cl)
	leader.Kill()
	killed := time.Now()
	waitFor(t, "a renewal after the leader died", func() bool { return h.LastAck().After(killed) || h.Err() != nil })
	if err := h.Err(); err != nil {
		t.Fatalf("keep-alive ended when the leader died: %v", err)
	}
	if r, err := lease.TimeToLive(ctx, c, lease.ID(g.ID)); err != nil || r.GrantedTTL != ttl {
		t.Fatalf("the new leader's view of the lease: %+v, %v", r, err)
	}
	t.Logf("leader %s killed; renewed again %v later; %d keep-alive streams", leader.Name,
		h.LastAck().Sub(killed).Round(time.Millisecond), cnt.keepAlive.Load())
	h.Stop()
	if err := leader.Restart(); err != nil {
		t.Fatal(err)
	}
	_, _ = lease.Revoke(ctx, c, lease.ID(g.ID))
}

// leaderOf asks every member who leads and returns that member.
func leaderOf(t *testing.T, cl *etcdtest.Cluster) *etcdtest.Member {
	t.Helper()
	for _, m := range cl.Members {
		c, _ := open(t, []string{m.Endpoint()})
		st, err := pb.NewMaintenanceClient(c.ClientConn()).Status(testCtx(t), &pb.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Leader == st.Header.MemberId {
			return m
		}
	}
	t.Fatal("no member says it leads")
	return nil
}

// cutOff: the client's only member of a three-member cluster is stopped
// for longer than the TTL. The other two expire the lease; until the client
// can hear that from a server it reports nothing, and once its member is
// back it reports the lease lost, as expired.
func cutOff(t *testing.T, cl *etcdtest.Cluster) {
	const ttl = 2
	a := cl.Members[0]
	c, _ := open(t, []string{a.Endpoint()})
	rest, _ := open(t, cl.Endpoints()[1:])
	ctx := testCtx(t)
	g := grant(t, c, ttl)
	key := prefix(t) + "k"
	if _, err := c.Put(ctx, kv.New().WithKey(key).WithValue("v").WithLease(g.ID)); err != nil {
		t.Fatal(err)
	}
	h, err := lease.KeepAlive(ctx, c, lease.ID(g.ID))
	if err != nil {
		t.Fatal(err)
	}

	a.Kill()
	waitFor(t, "the rest of the cluster to expire the lease", func() bool {
		_, err := lease.TimeToLive(ctx, rest, lease.ID(g.ID))
		return errors.Is(err, conn.ErrLeaseNotFound)
	})
	select {
	case <-h.Done():
		t.Fatalf("the handle ended while no server could tell it anything: %v", h.Err())
	default:
	}
	if err := a.Restart(); err != nil {
		t.Fatal(err)
	}
	wait(t, h.Done())
	err = h.Err()
	if !errors.Is(err, lease.ErrLeaseLost) || !errors.Is(err, lease.ErrExpired) || !errors.Is(err, conn.ErrLeaseNotFound) {
		t.Fatalf("after the member came back: %v; want ErrLeaseLost and ErrExpired", err)
	}
	got, err := c.Get(ctx, kv.New().WithKey(key))
	if err != nil || len(got.KVs) != 0 {
		t.Errorf("the lease's key after expiry: %+v, %v; want it gone", got, err)
	}
	t.Log(h.Err())
}
