package etcdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Cluster is a multi-member etcd cluster of separate processes on loopback,
// for tests that kill, restart, pause or cut off members.
//
// Every member has two Proxies in front of it, one for its client port and
// one for its peer port, and advertises the proxies' addresses: clients
// (Endpoints, Member.Endpoint) and the other members reach it only through
// them, so faults on a proxy are faults of the network, and the addresses
// stay the same across restarts. Member.DirectEndpoint is the member's own
// client port.
type Cluster struct {
	Members []*Member

	pending []*Member // made by NewMember, not joined yet
}

// Member is one process of a Cluster. Kill, Stop, Restart, Pause and Resume
// may be called in any order and more than once.
type Member struct {
	Name     string
	endpoint string // host:port of the client URL (the member's own port)
	args     []string
	bin      string
	dir      string
	logPath  string

	clientProxy *Proxy
	peerProxy   *Proxy

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	paused bool
	id     uint64 // raft member ID, known once the member answered
}

// StartCluster runs an n-member cluster of the etcd binary at binPath (see
// BuildEtcd), each member with its own data directory under tb.TempDir(),
// and waits until every member reports itself healthy (a leader is
// elected). A cleanup kills every member.
func StartCluster(tb testing.TB, binPath string, n int) *Cluster {
	tb.Helper()
	c, err := startCluster(tb.TempDir(), binPath, n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func startCluster(dir, binPath string, n int) (*Cluster, error) {
	if _, err := os.Stat(binPath); err != nil {
		return nil, fmt.Errorf("etcdtest: etcd binary: %w", err)
	}
	for attempt := 1; ; attempt++ {
		c, err := startClusterOnce(dir, binPath, n)
		if err == nil || !addrInUse(err) || attempt == maxAttempts {
			return c, err
		}
	}
}

func startClusterOnce(dir, binPath string, n int) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	var initial []string
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		m, err := newMember(dir, binPath, name, loopback(ports[2*i]), loopback(ports[2*i+1]))
		if err != nil {
			c.Close()
			return nil, err
		}
		c.Members = append(c.Members, m)
		initial = append(initial, name+"="+m.PeerURL())
	}
	for _, m := range c.Members {
		m.args = append(m.args, "--initial-cluster="+strings.Join(initial, ","), "--initial-cluster-state=new")
		if err := m.start(); err != nil {
			c.Close()
			return nil, err
		}
	}
	for _, m := range c.Members {
		if err := m.WaitHealthy(); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// newMember prepares a member on the given client and peer ports, behind
// two new proxies whose addresses it advertises. Nothing is started.
func newMember(dir, binPath, name, clientAddr, peerAddr string) (*Member, error) {
	mdir := filepath.Join(dir, name)
	if err := os.RemoveAll(mdir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return nil, err
	}
	cp, err := NewProxy(clientAddr)
	if err != nil {
		return nil, err
	}
	pp, err := newProxy(peerAddr, raftSender)
	if err != nil {
		cp.Close()
		return nil, err
	}
	return &Member{
		Name:        name,
		endpoint:    clientAddr,
		bin:         binPath,
		dir:         mdir,
		logPath:     filepath.Join(mdir, "etcd.log"),
		clientProxy: cp,
		peerProxy:   pp,
		args: []string{
			"--name=" + name,
			"--data-dir=" + filepath.Join(mdir, "data"),
			"--listen-client-urls=http://" + clientAddr,
			"--advertise-client-urls=http://" + cp.Addr(),
			"--listen-peer-urls=http://" + peerAddr,
			"--initial-advertise-peer-urls=http://" + pp.Addr(),
			"--initial-cluster-token=etcdtest",
			"--log-level=error",
			"--log-outputs=stderr",
		},
	}, nil
}

// Endpoints returns every member's client endpoint, host:port: the
// addresses of the client proxies.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.Endpoint()
	}
	return out
}

// DirectEndpoints returns every member's own client port, host:port,
// bypassing the proxies.
func (c *Cluster) DirectEndpoints() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.endpoint
	}
	return out
}

// Close kills every member and closes the proxies.
func (c *Cluster) Close() {
	for _, m := range c.Members {
		m.Kill()
	}
	for _, m := range slices.Concat(c.Members, c.pending) {
		m.clientProxy.Close()
		m.peerProxy.Close()
	}
}

// Endpoint returns the member's client endpoint, host:port: the address
// of its client proxy, which it advertises.
func (m *Member) Endpoint() string { return m.clientProxy.Addr() }

// DirectEndpoint returns the member's own client port, host:port, which no
// proxy fault touches.
func (m *Member) DirectEndpoint() string { return m.endpoint }

// ClientProxy returns the proxy in front of the member's client port.
func (m *Member) ClientProxy() *Proxy { return m.clientProxy }

// PeerProxy returns the proxy in front of the member's peer port, through
// which every other member reaches it.
func (m *Member) PeerProxy() *Proxy { return m.peerProxy }

func (m *Member) start() error {
	logFile, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("etcdtest: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(m.bin, m.args...)
	cmd.Dir = m.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("etcdtest: start member %s: %w", m.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.mu.Lock()
	m.cmd, m.exited, m.paused = cmd, exited, false
	m.mu.Unlock()
	return nil
}

// WaitHealthy waits until the member answers /health with a leader known.
func (m *Member) WaitHealthy() error {
	m.mu.Lock()
	exited := m.exited
	m.mu.Unlock()
	if err := waitHealthy("http://"+m.endpoint, nil, exited); err != nil {
		log := logTail(m.logPath)
		if strings.Contains(string(log), "address already in use") {
			err = fmt.Errorf("%w: %w", err, errPortTaken)
		}
		return fmt.Errorf("etcdtest: member %s on %s: %w; log:\n%s", m.Name, m.endpoint, err, log)
	}
	return nil
}

// Kill stops the member with SIGKILL and waits for the process to end. Its
// data stays, so Restart brings the same member back.
func (m *Member) Kill() {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Stop stops the member with SIGTERM, as an operator would, and waits for
// the process to end (it is killed after 30 seconds). Restart brings it
// back on the same data.
func (m *Member) Stop() {
	m.mu.Lock()
	cmd, exited, paused := m.cmd, m.exited, m.paused
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if paused {
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Pause stops the member's process with SIGSTOP: it keeps its sockets but
// answers nothing, as a member in a long garbage collection or a frozen VM.
// Resume lets it run again.
func (m *Member) Pause() error { return m.signal(syscall.SIGSTOP, true) }

// Resume continues a paused member with SIGCONT.
func (m *Member) Resume() error { return m.signal(syscall.SIGCONT, false) }

func (m *Member) signal(sig syscall.Signal, paused bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return fmt.Errorf("etcdtest: member %s is not running", m.Name)
	}
	if err := m.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("etcdtest: member %s: %w", m.Name, err)
	}
	m.paused = paused
	return nil
}

// Restart starts a killed member again on the same ports and data, and
// waits until it is healthy.
func (m *Member) Restart() error {
	m.mu.Lock()
	running := m.cmd != nil
	m.mu.Unlock()
	if running {
		return fmt.Errorf("etcdtest: member %s is running", m.Name)
	}
	if err := m.start(); err != nil {
		return err
	}
	return m.WaitHealthy()
}
