package etcdtest_test

import (
	"bufio"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/integration/etcdtest"
)

// echoServer answers every line with the same line, counting the lines it
// received.
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	lines []string
	conns []net.Conn
}

func newEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, c)
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					e.mu.Lock()
					e.lines = append(e.lines, line)
					e.mu.Unlock()
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		e.mu.Lock()
		for _, c := range e.conns {
			c.Close()
		}
		e.mu.Unlock()
		e.wg.Wait()
	})
	return e
}

func (e *echoServer) received() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lines...)
}

func newProxy(t *testing.T, target string) *etcdtest.Proxy {
	t.Helper()
	p, err := etcdtest.NewProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type line struct {
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *line {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &line{c: c, r: bufio.NewReader(c)}
}

func (l *line) roundTrip(t *testing.T, s string) (string, error) {
	t.Helper()
	if _, err := l.c.Write([]byte(s + "\n")); err != nil {
		return "", err
	}
	got, err := l.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return got[:len(got)-1], nil
}

// waitFor polls cond; the deadline only ends a test that would otherwise
// hang, it is not a measure of speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProxyRelays(t *testing.T) {
	e := newEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	if p.Addr() == e.ln.Addr().String() || p.Target() != e.ln.Addr().String() {
		t.Fatalf("proxy %s in front of %s", p.Addr(), p.Target())
	}
	l := dial(t, p.Addr())
	for _, s := range []string{"a", "bb", "ccc"} {
		got, err := l.roundTrip(t, s)
		if err != nil || got != s {
			t.Fatalf("round trip %q = %q, %v", s, got, err)
		}
	}
	if st := p.Stats(); st.Accepted != 1 || st.Passed != 2*(2+3+4) || st.Discarded != 0 {
		t.Errorf("stats %+v, want 1 connection and 18 bytes passed", st)
	}
}

func TestProxyCutAndHeal(t *testing.T) {
	e := newEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	l := dial(t, p.Addr())
	if _, err := l.roundTrip(t, "before"); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if got, err := l.roundTrip(t, "during"); err == nil {
		t.Fatalf("an open connection answered %q through a cut proxy", got)
	}
	// A new connection is accepted and closed at once: the read ends.
	l2 := dial(t, p.Addr())
	if _, err := l2.r.ReadByte(); err == nil {
		t.Fatal("a new connection through a cut proxy was not closed")
	}
	if st := p.Stats(); st.Refused != 1 {
		t.Errorf("stats %+v, want 1 refused", st)
	}
	p.Heal()
	l3 := dial(t, p.Addr())
	if got, err := l3.roundTrip(t, "after"); err != nil || got != "after" {
		t.Fatalf("after Heal: %q, %v", got, err)
	}
	for _, s := range e.received() {
		if s == "during\n" {
			t.Error("the server received a line sent while the proxy was cut")
		}
	}
}

// A black hole keeps the connection open and throws the bytes away: the
// server never sees what was sent into it, and once healed the same
// connection carries bytes again.
func TestProxyBlackhole(t *testing.T) {
	e := newEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	l := dial(t, p.Addr())
	if _, err := l.roundTrip(t, "one"); err != nil {
		t.Fatal(err)
	}
	p.Blackhole(etcdtest.ToServer)
	if _, err := l.c.Write([]byte("lost\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the proxy to swallow the line", func() bool { return p.Stats().Discarded == 5 })
	p.Heal()
	if got, err := l.roundTrip(t, "two"); err != nil || got != "two" {
		t.Fatalf("after Heal: %q, %v", got, err)
	}
	if got := e.received(); len(got) != 2 || got[0] != "one\n" || got[1] != "two\n" {
		t.Errorf("server received %q, want one and two", got)
	}

	// Answers only: the server receives the request, the client nothing.
	p.Blackhole(etcdtest.ToClient)
	if _, err := l.c.Write([]byte("three\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer to be swallowed", func() bool { return p.Stats().Discarded == 5+6 })
	if got := e.received(); len(got) != 3 || got[2] != "three\n" {
		t.Errorf("server received %q, want three last", got)
	}
}

func TestProxyDelay(t *testing.T) {
	e := newEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	l := dial(t, p.Addr())
	const d = 50 * time.Millisecond
	p.Delay(etcdtest.Both, d, 10*time.Millisecond)
	start := time.Now()
	if got, err := l.roundTrip(t, "slow"); err != nil || got != "slow" {
		t.Fatalf("%q, %v", got, err)
	}
	// Each direction holds the chunk at least d: a lower bound the proxy
	// guarantees, whatever the machine's load.
	if el := time.Since(start); el < 2*d {
		t.Errorf("round trip took %v through a proxy delaying %v each way", el, d)
	}
}

// A lost chunk ends its connection: the receiver never sees a stream with
// a hole in it.
func TestProxyDrop(t *testing.T) {
	e := newEcho(t)
	p := newProxy(t, e.ln.Addr().String())
	l := dial(t, p.Addr())
	p.Drop(etcdtest.ToServer, 1)
	if _, err := l.c.Write([]byte("gone\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.r.ReadByte(); err == nil {
		t.Fatal("the connection that lost a chunk stayed open")
	}
	if got := e.received(); len(got) != 0 {
		t.Errorf("server received %q through a proxy dropping everything", got)
	}
	if st := p.Stats(); st.Discarded != 5 {
		t.Errorf("stats %+v, want 5 bytes lost", st)
	}
	p.Heal()
	if got, err := dial(t, p.Addr()).roundTrip(t, "back"); err != nil || got != "back" {
		t.Fatalf("after Heal: %q, %v", got, err)
	}
}

func TestProxyCloseConnectionsAndTarget(t *testing.T) {
	e1, e2 := newEcho(t), newEcho(t)
	p := newProxy(t, e1.ln.Addr().String())
	l := dial(t, p.Addr())
	if _, err := l.roundTrip(t, "x"); err != nil {
		t.Fatal(err)
	}
	p.SetTarget(e2.ln.Addr().String())
	p.CloseConnections()
	if _, err := l.roundTrip(t, "y"); err == nil {
		t.Fatal("a closed connection answered")
	}
	l2 := dial(t, p.Addr())
	if got, err := l2.roundTrip(t, "z"); err != nil || got != "z" {
		t.Fatalf("%q, %v", got, err)
	}
	if got := e2.received(); len(got) != 1 || got[0] != "z\n" {
		t.Errorf("new target received %q", got)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("a closed proxy accepted a connection")
	}
}
