package etcdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Cluster is a multi-member etcd cluster of separate processes on loopback,
// for tests that kill, restart or cut off members.
type Cluster struct {
	Members []*Member
}

// Member is one process of a Cluster. Kill and Restart may be called in any
// order and more than once.
type Member struct {
	Name     string
	endpoint string // host:port of the client URL
	args     []string
	bin      string
	dir      string
	logPath  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
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
		initial = append(initial, fmt.Sprintf("m%d=http://%s", i, loopback(ports[2*i+1])))
	}
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		mdir := filepath.Join(dir, name)
		if err := os.RemoveAll(mdir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(mdir, 0o700); err != nil {
			return nil, err
		}
		client, peer := "http://"+loopback(ports[2*i]), "http://"+loopback(ports[2*i+1])
		m := &Member{
			Name:     name,
			endpoint: loopback(ports[2*i]),
			bin:      binPath,
			dir:      mdir,
			logPath:  filepath.Join(mdir, "etcd.log"),
			args: []string{
				"--name=" + name,
				"--data-dir=" + filepath.Join(mdir, "data"),
				"--listen-client-urls=" + client,
				"--advertise-client-urls=" + client,
				"--listen-peer-urls=" + peer,
				"--initial-advertise-peer-urls=" + peer,
				"--initial-cluster=" + strings.Join(initial, ","),
				"--initial-cluster-state=new",
				"--initial-cluster-token=etcdtest",
				"--log-level=error",
				"--log-outputs=stderr",
			},
		}
		if err := m.start(); err != nil {
			c.Close()
			return nil, err
		}
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		if err := m.WaitHealthy(); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Endpoints returns every member's client endpoint, host:port.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.endpoint
	}
	return out
}

// Close kills every member.
func (c *Cluster) Close() {
	for _, m := range c.Members {
		m.Kill()
	}
}

// Endpoint returns the member's client endpoint, host:port.
func (m *Member) Endpoint() string { return m.endpoint }

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
	m.cmd, m.exited = cmd, exited
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
