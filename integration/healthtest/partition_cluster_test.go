package healthtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A proxied cluster is a cluster of etcd processes whose members reach one
// another only through a TCP proxy in front of each member's peer port:
// every member advertises its proxy's address as its peer URL. The proxies
// together form a fabric that can cut one member off from its peers.
//
// etcd's peer transport (rafthttp) carries the messages from A to B over
// connections that either side may have opened: B's stream readers dial A
// and A writes into the responses, and A's pipeline dials B. A proxy in
// front of B's port alone therefore cannot isolate B. Every raft request
// names its sender in the X-Server-From header (rafthttp's streamReader.dial
// and its pipeline and snapshot requests), and a peer connection only ever
// carries requests of the member that opened it, so each proxy reads the
// first request's header of every connection and the fabric refuses, while
// a member is cut off, every connection to it and every connection from it.
// Its client port is not proxied and stays reachable.

type fabric struct {
	mu       sync.Mutex
	isolated string                // member ID (hex) cut off, "" for none
	conns    map[*proxyConn]string // open connections -> "from>to" member IDs
}

type proxyConn struct {
	from, to   string // member IDs in hex; from is "" when the sender is unknown
	client, up net.Conn
}

func (f *fabric) blocked(from, to string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.isolated != "" && (from == f.isolated || to == f.isolated)
}

// cut isolates member id and closes its open peer connections.
func (f *fabric) cut(id string) {
	f.mu.Lock()
	f.isolated = id
	var drop []*proxyConn
	for pc := range f.conns {
		if pc.from == id || pc.to == id {
			drop = append(drop, pc)
		}
	}
	f.mu.Unlock()
	for _, pc := range drop {
		pc.client.Close()
		pc.up.Close()
	}
}

// closeAll closes every open connection.
func (f *fabric) closeAll() {
	f.mu.Lock()
	var drop []*proxyConn
	for pc := range f.conns {
		drop = append(drop, pc)
	}
	f.mu.Unlock()
	for _, pc := range drop {
		pc.client.Close()
		pc.up.Close()
	}
}

func (f *fabric) heal() {
	f.mu.Lock()
	f.isolated = ""
	f.mu.Unlock()
}

// proxy forwards one member's peer port.
type proxy struct {
	f      *fabric
	ln     net.Listener
	target string // the member's real peer address
	id     string // the member's ID in hex, set once known
	mu     sync.Mutex
	wg     sync.WaitGroup
}

func (p *proxy) memberID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

// handle reads the header of the connection's first request, to learn its
// sender, then forwards the connection both ways unless the fabric blocks it.
func (p *proxy) handle(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(client)
	var head strings.Builder
	from := ""
	for head.Len() < 64<<10 {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			return
		}
		if k, v, ok := strings.Cut(line, ":"); ok && textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)) == "X-Server-From" {
			from = strings.TrimSpace(v)
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	_ = client.SetReadDeadline(time.Time{})
	to := p.memberID()
	if p.f.blocked(from, to) {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	pc := &proxyConn{from: from, to: to, client: client, up: up}
	p.f.mu.Lock()
	p.f.conns[pc] = ""
	p.f.mu.Unlock()
	defer func() {
		p.f.mu.Lock()
		delete(p.f.conns, pc)
		p.f.mu.Unlock()
	}()
	if p.f.blocked(from, to) { // cut while dialing
		return
	}
	if _, err := io.WriteString(up, head.String()); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, br); up.Close(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, up); client.Close(); done <- struct{}{} }()
	<-done
	<-done
}

// proxiedMember is one etcd process of a proxied cluster.
type proxiedMember struct {
	name, client string // client is host:port
	proxy        *proxy
	cmd          *exec.Cmd
	exited       chan struct{}
	log          string
}

type proxiedCluster struct {
	f       *fabric
	members []*proxiedMember
}

func freeAddr(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().String()
}

func freePort(t *testing.T) string {
	ln, addr := freeAddr(t)
	ln.Close()
	return addr
}

// startProxiedCluster starts n etcd processes behind peer proxies and waits
// until every member is healthy; cleanups kill them and stop the proxies.
func startProxiedCluster(t *testing.T, n int) *proxiedCluster {
	t.Helper()
	pc := &proxiedCluster{f: &fabric{conns: map[*proxyConn]string{}}}
	var initial []string
	for i := range n {
		ln, addr := freeAddr(t)
		m := &proxiedMember{name: fmt.Sprintf("m%d", i), client: freePort(t),
			proxy: &proxy{f: pc.f, ln: ln, target: freePort(t)}}
		m.proxy.wg.Add(1)
		go m.proxy.serve()
		t.Cleanup(func() { ln.Close(); pc.f.closeAll(); m.proxy.wg.Wait() })
		pc.members = append(pc.members, m)
		initial = append(initial, m.name+"=http://"+addr)
	}
	dir := t.TempDir()
	for _, m := range pc.members {
		mdir := filepath.Join(dir, m.name)
		if err := os.MkdirAll(mdir, 0o700); err != nil {
			t.Fatal(err)
		}
		m.log = filepath.Join(mdir, "etcd.log")
		logf, err := os.Create(m.log)
		if err != nil {
			t.Fatal(err)
		}
		m.cmd = exec.Command(etcdBin,
			"--name="+m.name,
			"--data-dir="+filepath.Join(mdir, "data"),
			"--listen-client-urls=http://"+m.client,
			"--advertise-client-urls=http://"+m.client,
			"--listen-peer-urls=http://"+m.proxy.target,
			"--initial-advertise-peer-urls=http://"+m.proxy.ln.Addr().String(),
			"--initial-cluster="+strings.Join(initial, ","),
			"--initial-cluster-state=new",
			"--initial-cluster-token=healthtest",
			"--log-level=error",
			"--log-outputs=stderr")
		m.cmd.Stdout, m.cmd.Stderr = logf, logf
		if err := m.cmd.Start(); err != nil {
			logf.Close()
			t.Fatal(err)
		}
		logf.Close()
		m.exited = make(chan struct{})
		go func() { _ = m.cmd.Wait(); close(m.exited) }()
		t.Cleanup(func() { _ = m.cmd.Process.Kill(); <-m.exited })
	}
	for _, m := range pc.members {
		if err := waitHealthy(m); err != nil {
			log, _ := os.ReadFile(m.log)
			t.Fatalf("member %s: %v; log:\n%s", m.name, err, log)
		}
	}
	return pc
}

// waitHealthy polls the member's /health until it reports a leader.
func waitHealthy(m *proxiedMember) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.client+"/health", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var h struct{ Health string }
			derr := json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if derr == nil && h.Health == "true" {
				return nil
			}
		}
		select {
		case <-m.exited:
			return fmt.Errorf("the process exited")
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// setIDs tells each proxy the member ID behind it, from the member list:
// proxy address (the advertised peer URL) -> ID.
func (pc *proxiedCluster) setIDs(peerIDs map[string]uint64) error {
	for _, m := range pc.members {
		id, ok := peerIDs["http://"+m.proxy.ln.Addr().String()]
		if !ok {
			return fmt.Errorf("no member advertises %s", m.proxy.ln.Addr())
		}
		m.proxy.mu.Lock()
		m.proxy.id = strconv.FormatUint(id, 16)
		m.proxy.mu.Unlock()
	}
	return nil
}
