package etcdtest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
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
	m, err := newMember(filepath.Dir(c.Members[0].dir), c.Members[0].bin, name, loopback(ports[0]), loopback(ports[1]))
	if err != nil {
		return nil, err
	}
	m.args = append(m.args, "--initial-cluster-state=existing")
	c.pending = append(c.pending, m) // Close closes its proxies, joined or not
	return m, nil
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
	c.Members = append(c.Members, m)
	c.pending = slices.DeleteFunc(c.pending, func(p *Member) bool { return p == m })
	if err := m.start(); err != nil {
		return err
	}
	return m.WaitHealthy()
}
