package etcdtest

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Stacks as the runtime prints them: the server's side of a connection
// (from a failed run of a check that counted it) and the client's.
const (
	serverKeepalive = `goroutine 3504 [select]:
google.golang.org/grpc/internal/transport.(*http2Server).keepalive(0xc0008791e0)
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_server.go:1230 +0x3fd
created by google.golang.org/grpc/internal/transport.NewServerTransport in goroutine 3502
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_server.go:371 +0x2eeb`
	serverReader = `goroutine 3505 [IO wait]:
internal/poll.runtime_pollWait(0x7fdf34b36800, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams(0xc0008791e0, {0x196e1f0, 0xc001315560}, 0xc001315590)
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_server.go:652 +0x116
google.golang.org/grpc.(*Server).serveStreams(0xc000214fc8, {0x196e070, 0x24a95c0}, {0x196ec20, 0xc0008791e0}, {0x197b838, 0xc001241dc0})
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/server.go:1090 +0x63b
google.golang.org/grpc.(*Server).handleRawConn.func1()
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/server.go:1024 +0x87
created by google.golang.org/grpc.(*Server).handleRawConn in goroutine 3502
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/server.go:1023 +0x2ea`
	clientReader = `goroutine 812 [IO wait, 2 minutes]:
internal/poll.runtime_pollWait(0x7fdf34b36800, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
google.golang.org/grpc/internal/transport.(*http2Client).reader(0xc000aa4000, 0xc000b2e0c0)
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_client.go:1690 +0x2a5
created by google.golang.org/grpc/internal/transport.newHTTP2Client in goroutine 790
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_client.go:412 +0x1f5b`
	getcdMux = `goroutine 901 [select]:
github.com/getcd/getcd/watch.(*mux).run(0xc000e1c000)
	/work/getcd/watch/mux.go:120 +0x1b2
created by github.com/getcd/getcd/watch.(*mux).start in goroutine 900
	/work/getcd/watch/mux.go:80 +0x85`
)

func TestParseGoroutine(t *testing.T) {
	for _, tc := range []struct {
		stack  string
		id     int
		state  string
		top    string
		server bool
	}{
		{serverKeepalive, 3504, "select", "google.golang.org/grpc/internal/transport.(*http2Server).keepalive", true},
		{serverReader, 3505, "IO wait", "internal/poll.runtime_pollWait", true},
		{clientReader, 812, "IO wait, 2 minutes", "internal/poll.runtime_pollWait", false},
		{getcdMux, 901, "select", "github.com/getcd/getcd/watch.(*mux).run", false},
	} {
		g, ok := parseGoroutine(tc.stack)
		if !ok || g.id != tc.id || g.state != tc.state || len(g.funcs) == 0 || g.funcs[0] != tc.top || g.server() != tc.server || g.ignored() {
			t.Errorf("parseGoroutine(goroutine %d) = %+v, %v; want id %d, state %q, top %q, server %v, not ignored",
				tc.id, g, ok, tc.id, tc.state, tc.top, tc.server)
		}
	}
	if _, ok := parseGoroutine("not a goroutine"); ok {
		t.Error("parseGoroutine accepted a block without a goroutine header")
	}
}

//go:noinline
func blockedOn(ch chan struct{}) { <-ch }

// TestLeakedReportsClientGoroutines: a goroutine the test starts and does
// not end is reported, the embedded server's side of a connection the test
// opens is not, and once the test's goroutines end nothing is.
func TestLeakedReportsClientGoroutines(t *testing.T) {
	srv := Start(t)
	s := SnapshotGoroutines()
	s.settle = 200 * time.Millisecond // the goroutines below do not end: do not wait long

	ch := make(chan struct{})
	go blockedOn(ch)
	left := s.Leaked()
	if len(left) != 1 || !strings.Contains(left[0], "etcdtest.blockedOn") {
		t.Fatalf("Leaked with one blocked goroutine = %q, want it alone", left)
	}
	close(ch)

	// A connection to the embedded server: its client side is reported,
	// its server side is not, though it is running.
	cc, err := grpc.NewClient(srv.Endpoints()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pb.NewMaintenanceClient(cc).Status(ctx, &pb.StatusRequest{}); err != nil {
		t.Fatal(err)
	}
	left = s.Leaked()
	client := false
	for _, stack := range left {
		g, _ := parseGoroutine(stack)
		client = client || strings.Contains(stack, "transport.(*http2Client)")
		if g.server() || strings.Contains(stack, "blockedOn") {
			t.Errorf("reported goroutine is the server's or has ended:\n%s", stack)
		}
	}
	if !client {
		t.Errorf("the open client connection is not reported; reported:\n%s", strings.Join(left, "\n\n"))
	}
	server := 0
	for _, g := range goroutines() {
		if !s.before[g.id] && g.server() {
			server++
		}
	}
	if server == 0 {
		t.Error("no server goroutine started for the connection: the test shows nothing")
	}

	cc.Close()
	s.settle = settle
	if left := s.Leaked(); len(left) > 0 {
		t.Errorf("after the connection closed, Leaked = %s", strings.Join(left, "\n\n"))
	}
}

// Only narrows the check: a goroutine it accepts is reported while it
// runs, one it rejects is not.
func TestLeakedOnly(t *testing.T) {
	s := SnapshotGoroutines()
	s.settle = 200 * time.Millisecond // the goroutine below does not end before the checks
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-stop // this test's function is in the goroutine's stack
	}()
	mine := func(stack string) bool { return strings.Contains(stack, "TestLeakedOnly") }
	if left := s.Only(mine).Leaked(); len(left) != 1 {
		t.Errorf("Only(this test's goroutines): %d left, want 1:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	none := func(string) bool { return false }
	if left := s.Only(none).Leaked(); len(left) != 0 {
		t.Errorf("Only(nothing): %d left, want 0:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	close(stop)
	<-done
	if left := s.Only(mine).Leaked(); len(left) != 0 {
		t.Errorf("after the goroutine ended: %d left:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}
