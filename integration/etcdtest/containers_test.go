package etcdtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/getcd/getcd/integration/etcdtest"
)

func proxyHealthy(m *etcdtest.ContainerMember) bool {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + m.Endpoint() + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestContainerCluster starts three members in containers and checks a
// partition (peer network disconnect), a kill and a restart behind the
// stable host proxies.
func TestContainerCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image; skipped in -short mode")
	}
	cl := etcdtest.StartContainerCluster(t, 3)
	c := clusterClient(t, cl.Endpoints())
	ctx := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		return ctx
	}
	if _, err := c.Put(ctx(), "k", "v"); err != nil {
		t.Fatal(err)
	}

	m := cl.Members[0]
	if err := m.Disconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, m.Name+" to lose its peers", func() bool { return !proxyHealthy(m) })
	mc := clusterClient(t, []string{m.Endpoint()})
	if _, err := mc.Get(ctx(), "k", clientv3.WithSerializable()); err != nil {
		t.Errorf("serializable read on the disconnected member: %v", err)
	}
	if err := m.Reconnect(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, m.Name+" to rejoin", func() bool { return proxyHealthy(m) })

	k := cl.Members[1]
	before := k.Proxy().Target()
	if err := k.Kill(); err != nil {
		t.Fatal(err)
	}
	// The killed member may have led: the others elect a leader first.
	waitFor(t, "a put with a member down", func() bool {
		_, err := c.Put(ctx(), "k2", "v")
		return err == nil
	})
	if err := k.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: host port %s before the restart, %s after; the proxy stays at %s", k.Name, before, k.Proxy().Target(), k.Endpoint())
	r, err := clusterClient(t, []string{k.Endpoint()}).Get(ctx(), "k2")
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("read on the restarted member: %v, %v", r, err)
	}
}
