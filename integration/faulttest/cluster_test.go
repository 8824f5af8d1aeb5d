package faulttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

// cluster is what the scenarios need of a three-member cluster, whether of
// processes (etcdtest.Cluster) or of containers (etcdtest.ContainerCluster).
type cluster struct {
	Members []*node
	close   func()
}

// node is one member: its stable client endpoint and its faults.
type node struct {
	t        *testing.T
	Name     string
	endpoint string
	dataDir  string
	proxy    *etcdtest.Proxy // client proxy
	kill     func() error
	restart  func() error
	pause    func() error
	resume   func() error
	isolate  func() error
	heal     func() error
}

func (n *node) Endpoint() string               { return n.endpoint }
func (n *node) DataDir() string                { return n.dataDir }
func (n *node) ClientProxy() *etcdtest.Proxy   { return n.proxy }
func (n *node) Restart() error                 { return n.restart() }
func (n *node) Pause() error                   { return n.pause() }
func (n *node) Resume() error                  { return n.resume() }
func (cl *cluster) IsolatePeers(n *node) error { return n.isolate() }
func (cl *cluster) HealPeers(n *node) error    { return n.heal() }
func (cl *cluster) Close()                     { cl.close() }

func (n *node) Kill() {
	if err := n.kill(); err != nil {
		n.t.Errorf("kill %s: %v", n.Name, err)
	}
}

// ID asks the member for its ID.
func (n *node) ID() (uint64, error) {
	c := newConn(n.t, []string{n.endpoint})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", n.Name, err)
	}
	return st.Header.MemberID, nil
}

func (cl *cluster) Endpoints() []string {
	out := make([]string, len(cl.Members))
	for i, n := range cl.Members {
		out[i] = n.endpoint
	}
	return out
}

func processCluster(t *testing.T) *cluster {
	pc := etcdtest.StartCluster(t, etcdBin, 3)
	cl := &cluster{close: pc.Close}
	for _, m := range pc.Members {
		cl.Members = append(cl.Members, &node{t: t, Name: m.Name, endpoint: m.Endpoint(), dataDir: m.DataDir(),
			proxy: m.ClientProxy(), kill: func() error { m.Kill(); return nil }, restart: m.Restart,
			pause: m.Pause, resume: m.Resume,
			isolate: func() error { return pc.IsolatePeers(m) }, heal: func() error { return pc.HealPeers(m) }})
	}
	return cl
}

func containerCluster(t *testing.T) *cluster {
	cc := etcdtest.StartContainerCluster(t, 3)
	cl := &cluster{close: func() {
		for _, m := range cc.Members {
			_ = m.Kill()
		}
	}}
	for _, m := range cc.Members {
		cl.Members = append(cl.Members, &node{t: t, Name: m.Name, endpoint: m.Endpoint(), dataDir: m.DataDir(),
			proxy: m.Proxy(), kill: m.Kill, restart: m.Restart, pause: m.Pause, resume: m.Resume,
			isolate: m.Disconnect, heal: m.Reconnect})
	}
	return cl
}
