package etcdtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Direction names one way of the traffic through a Proxy.
type Direction int

const (
	// ToServer is the traffic from the side that dialed the proxy to the
	// target: requests.
	ToServer Direction = 1 << iota
	// ToClient is the traffic from the target back to the side that dialed:
	// answers.
	ToClient
	// Both is the traffic in either direction.
	Both = ToServer | ToClient
)

// linkFault is what a Proxy does to the bytes of one direction.
type linkFault struct {
	blackhole bool          // read and thrown away
	delay     time.Duration // every chunk waits delay + [0, jitter)
	jitter    time.Duration
	drop      float64 // the share of chunks thrown away
}

// Proxy is a TCP proxy on a loopback port in front of one target address.
// Every connection accepted is relayed to the target; faults change what
// happens to the connections and their bytes, at once for those open and for
// those to come:
//
//   - Cut closes every connection and closes each new one as soon as it is
//     accepted (the dialer sees its connection reset; nothing hangs).
//   - Blackhole keeps connections open but reads and throws away the bytes
//     of a direction: the other side waits for an answer that never comes.
//   - Delay holds every chunk of a direction before it is passed on.
//   - Drop loses a share of a direction's chunks together with their
//     connection, which is closed. TCP never delivers a stream with a hole
//     in it: loss it cannot repair ends the connection. (Throwing bytes
//     away and carrying on would let whole HTTP/2 frames vanish without a
//     trace, a fault no network can cause.)
//   - CloseConnections closes every open connection once, and accepts new
//     ones.
//   - BlockSource refuses the connections whose source (see SourceFunc) is
//     one of the given names.
//
// Heal removes every fault. A Proxy is safe for concurrent use. The address
// stays the same for the Proxy's life, while the target may change
// (SetTarget), so that clients keep one address for a server that moves.
type Proxy struct {
	ln     net.Listener
	source SourceFunc

	mu      sync.Mutex
	target  string
	faults  [2]linkFault // ToServer, ToClient
	cut     bool
	blocked map[string]bool
	conns   map[*proxyConn]struct{}
	closed  bool
	wg      sync.WaitGroup
	stats   ProxyStats
}

// ProxyStats counts what a Proxy did.
type ProxyStats struct {
	Accepted  int   // connections accepted
	Refused   int   // of those, closed at once (cut, blocked source, proxy closed)
	Passed    int64 // bytes passed on, both directions
	Discarded int64 // bytes thrown away (black hole) or lost with their connection (drop)
}

// SourceFunc names the sender of a connection from its first bytes, read
// through r (Peek does not consume them); "" when it cannot tell. The
// Proxy gives it a few seconds.
type SourceFunc func(r *bufio.Reader) string

type proxyConn struct {
	in     net.Conn
	source string // the connection's source, once named; guarded by Proxy.mu
	done   chan struct{}

	mu     sync.Mutex
	out    net.Conn
	closed bool
}

func (c *proxyConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	close(c.done)
	_ = c.in.Close()
	if c.out != nil {
		_ = c.out.Close()
	}
}

// setOut records the connection to the target; false if c was closed
// meanwhile.
func (c *proxyConn) setOut(out net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.out = out
	return true
}

// NewProxy listens on a free loopback port and relays every connection to
// target (host:port). Close stops it.
func NewProxy(target string) (*Proxy, error) {
	return newProxy(target, nil)
}

func newProxy(target string, source SourceFunc) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("etcdtest: proxy: %w", err)
	}
	p := &Proxy{ln: ln, source: source, target: target, blocked: map[string]bool{}, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target returns the address connections are relayed to.
func (p *Proxy) Target() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// SetTarget relays the connections accepted from now on to target; those
// open stay where they are.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Stats returns what the proxy did so far.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Cut closes every open connection and every new one until Heal.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.takeConns(func(*proxyConn) bool { return true })
	p.mu.Unlock()
	closeAll(conns)
}

// CloseConnections closes every open connection once; new ones are
// relayed as before.
func (p *Proxy) CloseConnections() {
	p.mu.Lock()
	conns := p.takeConns(func(*proxyConn) bool { return true })
	p.mu.Unlock()
	closeAll(conns)
}

// Blackhole throws away the bytes of dir until Heal, keeping the
// connections open.
func (p *Proxy) Blackhole(dir Direction) {
	p.update(dir, func(f *linkFault) { f.blackhole = true })
}

// Delay holds every chunk of dir for d plus a random share of jitter
// before passing it on, until Heal.
func (p *Proxy) Delay(dir Direction, d, jitter time.Duration) {
	p.update(dir, func(f *linkFault) { f.delay, f.jitter = d, jitter })
}

// Drop loses the given share (0 to 1) of the chunks of dir, each with its
// connection, until Heal.
func (p *Proxy) Drop(dir Direction, share float64) {
	p.update(dir, func(f *linkFault) { f.drop = share })
}

// BlockSource closes the open connections whose source is one of names, and
// refuses new ones from them, until Heal or UnblockSource. Sources are known
// only to a proxy with a SourceFunc (the peer proxies of a Cluster).
func (p *Proxy) BlockSource(names ...string) {
	p.mu.Lock()
	for _, n := range names {
		p.blocked[n] = true
	}
	conns := p.takeConns(func(c *proxyConn) bool { return p.blocked[c.source] })
	p.mu.Unlock()
	closeAll(conns)
}

// UnblockSource accepts connections from names again.
func (p *Proxy) UnblockSource(names ...string) {
	p.mu.Lock()
	for _, n := range names {
		delete(p.blocked, n)
	}
	p.mu.Unlock()
}

// Heal removes every fault. Connections whose bytes were thrown away stay
// open; their byte streams are broken, and the peers will notice.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.cut = false
	p.faults = [2]linkFault{}
	clear(p.blocked)
	p.mu.Unlock()
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := p.takeConns(func(*proxyConn) bool { return true })
	p.mu.Unlock()
	err := p.ln.Close()
	closeAll(conns)
	p.wg.Wait()
	return err
}

func (p *Proxy) update(dir Direction, f func(*linkFault)) {
	p.mu.Lock()
	if dir&ToServer != 0 {
		f(&p.faults[0])
	}
	if dir&ToClient != 0 {
		f(&p.faults[1])
	}
	p.mu.Unlock()
}

// takeConns removes the connections for which pick is true; p.mu is held.
func (p *Proxy) takeConns(pick func(*proxyConn) bool) []*proxyConn {
	var out []*proxyConn
	for c := range p.conns {
		if pick(c) {
			out = append(out, c)
			delete(p.conns, c)
		}
	}
	return out
}

func closeAll(conns []*proxyConn) {
	for _, c := range conns {
		c.close()
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.mu.Lock()
		p.stats.Accepted++
		if p.closed || p.cut {
			p.stats.Refused++
			p.mu.Unlock()
			_ = in.Close()
			continue
		}
		c := &proxyConn{in: in, done: make(chan struct{})}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// serve names the source, dials the target and relays both ways until
// either side ends or the proxy closes the connection.
func (p *Proxy) serve(c *proxyConn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.close()
	}()
	in := bufio.NewReaderSize(c.in, 32<<10)
	var source string
	if p.source != nil {
		_ = c.in.SetReadDeadline(time.Now().Add(5 * time.Second))
		source = p.source(in)
		_ = c.in.SetReadDeadline(time.Time{})
	}
	p.mu.Lock()
	c.source = source // under p.mu: BlockSource reads it there
	target, refused := p.target, p.cut || p.closed || p.blocked[source]
	if refused {
		p.stats.Refused++
	}
	p.mu.Unlock()
	if refused {
		return
	}
	out, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	if !c.setOut(out) { // cut while dialing
		_ = out.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.pump(c, out, in, 0)
	}()
	go func() {
		defer wg.Done()
		p.pump(c, c.in, out, 1)
	}()
	wg.Wait()
}

// pump copies chunks from src to dst, applying the faults of direction
// index dir (0 ToServer, 1 ToClient), until either side fails; then it
// closes both.
func (p *Proxy) pump(c *proxyConn, dst net.Conn, src io.Reader, dir int) {
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			f := p.faults[dir]
			lost := !f.blackhole && f.drop > 0 && rand.Float64() < f.drop
			discard := f.blackhole || lost
			if discard {
				p.stats.Discarded += int64(n)
			} else {
				p.stats.Passed += int64(n)
			}
			p.mu.Unlock()
			if lost {
				return // the deferred close ends the connection both ways
			}
			if discard {
				continue
			}
			if d := f.delay + jitter(f.jitter); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}
