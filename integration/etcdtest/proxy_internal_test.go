package etcdtest

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

func TestRaftSender(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"POST /raft HTTP/1.1\r\nHost: x\r\nX-Server-From: 8e9e05c52164694d\r\n\r\nbody", "8e9e05c52164694d"},
		{"GET /raft/stream/message/1 HTTP/1.1\r\nx-server-from: ab\r\n\r\n", "ab"},
		{"GET /members HTTP/1.1\r\nHost: x\r\n\r\n", ""},
		{"PRI * HTTP/2.0", ""},
		{"GET / HTTP/1.1\r\nX-Pad: " + strings.Repeat("a", 10000) + "\r\nX-Server-From: 1\r\n\r\n", ""},
	} {
		if got := raftSender(bufio.NewReader(strings.NewReader(tc.in))); got != tc.want {
			t.Errorf("raftSender(%.40q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A blocked source is refused, others pass, and the bytes read to name the
// source reach the target.
func TestProxyBlockSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 200)
			n, _ := c.Read(b)
			got <- string(b[:n])
			c.Close()
		}
	}()
	p, err := newProxy(ln.Addr().String(), raftSender)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.BlockSource("a1")
	send := func(from string) (closedEarly bool) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("POST /raft HTTP/1.1\r\nX-Server-From: " + from + "\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		_, err = c.Read(make([]byte, 1))
		return err != nil
	}
	if !send("a1") {
		t.Fatal("a blocked source got an answer")
	}
	send("b2")
	if req := <-got; !strings.Contains(req, "X-Server-From: b2") {
		t.Errorf("target received %q", req)
	}
	if st := p.Stats(); st.Refused != 1 || st.Accepted != 2 {
		t.Errorf("stats %+v, want 2 accepted, 1 refused", st)
	}
	p.UnblockSource("a1")
	send("a1")
	if req := <-got; !strings.Contains(req, "X-Server-From: a1") {
		t.Errorf("after unblocking, target received %q", req)
	}
}
