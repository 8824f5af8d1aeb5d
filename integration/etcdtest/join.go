package etcdtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NewMember prepares a member that is to join the running cluster c: it
// chooses free client and peer ports and a data directory beside the other
// members', and starts nothing. Add its PeerURL to the cluster (member add),
// then start it with Join.
func (c *Cluster) NewMember(name string) (*Member, error) {
	if len(c.Members) == 0 {
		return nil, errors.New("etcdtest: NewMember: the cluster has no members")
	}
	for _, m := range c.Members {
		if m.Name == name {
			return nil, fmt.Errorf("etcdtest: NewMember: a member is already called %s", name)
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	mdir := filepath.Join(filepath.Dir(c.Members[0].dir), name)
	if err := os.RemoveAll(mdir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return nil, err
	}
	client, peer := "http://"+loopback(ports[0]), "http://"+loopback(ports[1])
	return &Member{
		Name:     name,
		endpoint: loopback(ports[0]),
		bin:      c.Members[0].bin,
		dir:      mdir,
		logPath:  filepath.Join(mdir, "etcd.log"),
		args: []string{
			"--name=" + name,
			"--data-dir=" + filepath.Join(mdir, "data"),
			"--listen-client-urls=" + client,
			"--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster-state=existing",
			"--initial-cluster-token=etcdtest",
			"--log-level=error",
			"--log-outputs=stderr",
		},
	}, nil
}

// PeerURL returns the peer URL the member advertises to the cluster.
func (m *Member) PeerURL() string {
	const flag = "--initial-advertise-peer-urls="
	for _, a := range m.args {
		if strings.HasPrefix(a, flag) {
			return strings.TrimPrefix(a, flag)
		}
	}
	return ""
}

// Join starts m, made by NewMember and already added to the cluster, with
// initialCluster as its --initial-cluster: every member of the cluster
// after the addition as name=peerURL, comma-separated, the new member
// included (what etcdctl member add prints). It waits until the member
// answers on its client port as healthy, and adds it to c.Members, so that
// Close kills it too.
func (c *Cluster) Join(m *Member, initialCluster string) error {
	m.mu.Lock()
	running := m.cmd != nil
	m.mu.Unlock()
	if running {
		return fmt.Errorf("etcdtest: member %s is running", m.Name)
	}
	m.args = append(m.args, "--initial-cluster="+initialCluster)
	if err := m.start(); err != nil {
		return err
	}
	c.Members = append(c.Members, m)
	return m.WaitHealthy()
}
