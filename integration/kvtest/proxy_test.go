package kvtest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a TCP proxy in front of one etcd endpoint that can black-hole
// traffic (hold every byte), drop only what the server sends (mute), and
// reset every connection.
type proxy struct {
	ln       net.Listener
	target   string
	blackout atomic.Bool
	mute     atomic.Bool  // drop the server's bytes only
	held     atomic.Int64 // bytes held while black-holed
	passed   atomic.Int64 // bytes forwarded
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(up, c, false)
		go p.pipe(c, up, true)
	}
}

// pipe copies src to dst, dropping (and counting) bytes while black-holed,
// or while muted if fromServer.
func (p *proxy) pipe(dst, src net.Conn, fromServer bool) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if p.blackout.Load() || (fromServer && p.mute.Load()) {
				p.held.Add(int64(n))
			} else if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			} else {
				p.passed.Add(int64(n))
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// reset closes every proxied connection; new ones are still accepted.
func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.reset()
	p.wg.Wait()
}
