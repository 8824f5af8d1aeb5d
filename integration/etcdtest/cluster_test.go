package etcdtest_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/getcd/getcd/integration/etcdtest"
)

func clusterClient(t *testing.T, eps []string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// healthy asks the member's own client port (no proxy) whether it has a
// leader.
func healthy(m *etcdtest.Member) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + m.DirectEndpoint() + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestClusterFaults drives every fault of a process cluster once and checks
// its effect on real etcd members.
func TestClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the etcd binary; skipped in -short mode")
	}
	bin, err := etcdtest.BuildEtcd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cl := etcdtest.StartCluster(t, bin, 3)
	c := clusterClient(t, cl.Endpoints())
	ctx := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}

	// Members advertise their proxies, so that clients that discover
	// endpoints stay behind them.
	list, err := c.MemberList(ctx(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var advertised []string
	for _, m := range list.Members {
		for _, u := range m.ClientURLs {
			advertised = append(advertised, strings.TrimPrefix(u, "http://"))
		}
	}
	slices.Sort(advertised)
	eps := cl.Endpoints()
	slices.Sort(eps)
	if !slices.Equal(advertised, eps) {
		t.Errorf("members advertise %v, Endpoints are %v", advertised, eps)
	}
	for _, m := range cl.Members {
		if m.Endpoint() == m.DirectEndpoint() {
			t.Errorf("member %s: no proxy in front", m.Name)
		}
	}

	t.Run("isolate peers", func(t *testing.T) {
		m := cl.Members[0]
		if err := cl.IsolatePeers(m); err != nil {
			t.Fatal(err)
		}
		waitFor(t, m.Name+" to lose its leader", func() bool { return !healthy(m) })
		// The other two still form a quorum (they may have to elect a
		// leader first, if the isolated member led).
		majority := clusterClient(t, []string{cl.Members[1].Endpoint()})
		waitFor(t, "a put on the majority", func() bool {
			_, err := majority.Put(ctx(10*time.Second), "iso", "1")
			return err == nil
		})
		// The isolated member's client port still answers, but not with
		// a linearizable read.
		mc := clusterClient(t, []string{m.Endpoint()})
		if _, err := mc.Get(ctx(2*time.Second), "iso", clientv3.WithSerializable()); err != nil {
			t.Errorf("serializable read on the isolated member: %v", err)
		}
		if _, err := mc.Get(ctx(2*time.Second), "iso"); err == nil {
			t.Error("linearizable read on the isolated member succeeded")
		}
		if err := cl.HealPeers(m); err != nil {
			t.Fatal(err)
		}
		waitFor(t, m.Name+" to rejoin", func() bool { return healthy(m) })
		r, err := mc.Get(ctx(10*time.Second), "iso")
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("read after healing: %v, %v", r, err)
		}
	})

	t.Run("black-hole client link", func(t *testing.T) {
		m := cl.Members[1]
		mc := clusterClient(t, []string{m.Endpoint()})
		if _, err := mc.Get(ctx(10*time.Second), "x"); err != nil {
			t.Fatal(err)
		}
		m.ClientProxy().Blackhole(etcdtest.Both)
		if _, err := mc.Get(ctx(time.Second), "x"); err == nil {
			t.Error("a read through a black hole succeeded")
		}
		if !healthy(m) {
			t.Error("the member behind a black-holed client link lost its leader")
		}
		m.ClientProxy().Heal()
		m.ClientProxy().CloseConnections()
		if _, err := mc.Get(ctx(10*time.Second), "x"); err != nil {
			t.Fatalf("after healing: %v", err)
		}
	})

	t.Run("pause", func(t *testing.T) {
		m := cl.Members[2]
		if err := m.Pause(); err != nil {
			t.Fatal(err)
		}
		if healthy(m) {
			t.Error("a paused member answered /health")
		}
		if err := m.Resume(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, m.Name+" to answer again", func() bool { return healthy(m) })
	})

	t.Run("stop and restart", func(t *testing.T) {
		m := cl.Members[2]
		if _, err := c.Put(ctx(10*time.Second), "kept", "v"); err != nil {
			t.Fatal(err)
		}
		m.Stop()
		if err := m.Resume(); err == nil {
			t.Error("Resume of a stopped member succeeded")
		}
		if err := m.Restart(); err != nil {
			t.Fatal(err)
		}
		r, err := clusterClient(t, []string{m.Endpoint()}).Get(ctx(10*time.Second), "kept")
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("read on the restarted member: %v, %v", r, err)
		}
	})
}
