package etcdtest

import (
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A server embedded in the test process (Start, StartShared) runs its
// goroutines next to the test's: a goroutine check taken around a test's
// client work would also see the server's side of every connection and
// stream, which the server starts and ends on its own schedule. For
// example, the server accepts a connection in one goroutine and starts the
// connection's reader, writer and keep-alive goroutines only after the
// client has seen the server's settings frame, so they can appear after a
// snapshot taken as soon as the client is connected. These goroutines are
// not the client's to end. The checks below therefore count only the
// goroutines that are not part of an embedded server: getcd's, gRPC's
// client side, the official client's and the test's own.
//
// A goroutine is the server's when its stack or its creator is in the
// server's code (serverFuncs). The etcd server's own clients are not told
// apart this way, which is why embedded servers run without the JSON
// gateway (a gRPC client connection the server would open to itself after
// it is ready); the in-process client that the server's Lock and Election
// services use remains, so a test of those services that checks
// goroutines uses a process server.

// serverFuncs are prefixes of the functions that only an embedded etcd
// server runs: a goroutine with one of them in its stack, or created by
// one of them, is the server's.
var serverFuncs = []string{
	"go.etcd.io/etcd/server/",
	"go.etcd.io/etcd/pkg/",
	"go.etcd.io/raft/",
	"go.etcd.io/bbolt",
	"github.com/soheilhy/cmux",
	"google.golang.org/grpc.(*Server).",
	"google.golang.org/grpc/internal/transport.(*http2Server).",
	"google.golang.org/grpc/internal/transport.NewServerTransport",
	"google.golang.org/grpc/internal/transport.newHTTP2Server",
	"google.golang.org/grpc/internal/transport.(*serverHandlerTransport).",
}

// settle bounds how long Leaked waits for goroutines that are ending to
// end. It is not a measure of anything: a check that passes returns as
// soon as the goroutines are gone, and only a real leak waits this long
// before it is reported.
const settle = 15 * time.Second

// goroutine is one goroutine of a runtime.Stack dump.
type goroutine struct {
	id        int
	state     string
	funcs     []string // the functions on its stack, innermost first
	createdBy string
	stack     string
}

// server reports whether g belongs to an embedded etcd server.
func (g goroutine) server() bool {
	for _, f := range g.funcs {
		if serverFunc(f) {
			return true
		}
	}
	return serverFunc(g.createdBy)
}

func serverFunc(f string) bool {
	for _, p := range serverFuncs {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// ignored reports whether g is one of the goroutines the testing and
// os/signal packages keep running whatever a test does.
func (g goroutine) ignored() bool {
	if len(g.funcs) == 0 {
		return false
	}
	switch g.funcs[0] {
	case "testing.RunTests", "testing.(*T).Run", "testing.(*T).Parallel", "testing.runFuzzing", "testing.runFuzzTests":
		return strings.HasPrefix(g.state, "chan receive")
	case "os/signal.signal_recv", "os/signal.loop":
		return true
	}
	for _, f := range g.funcs {
		if f == "runtime.ensureSigM" {
			return true
		}
	}
	return false
}

// goroutines parses a dump of all goroutines but the caller's.
func goroutines() []goroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for i, block := range strings.Split(strings.TrimSpace(string(buf)), "\n\n") {
		if i == 0 {
			continue // the caller's own goroutine comes first
		}
		if g, ok := parseGoroutine(block); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// parseGoroutine parses one goroutine of a runtime.Stack dump:
//
//	goroutine 7 [select, 2 minutes]:
//	pkg.(*T).method(0xc000010000)
//		/path/file.go:12 +0x1d
//	created by pkg.start in goroutine 1
//		/path/file.go:30 +0x4f
func parseGoroutine(block string) (goroutine, bool) {
	lines := strings.Split(block, "\n")
	head, ok := strings.CutPrefix(lines[0], "goroutine ")
	if !ok {
		return goroutine{}, false
	}
	idText, rest, _ := strings.Cut(head, " ")
	id, err := strconv.Atoi(idText)
	if err != nil {
		return goroutine{}, false
	}
	g := goroutine{id: id, stack: block}
	if _, s, ok := strings.Cut(rest, "["); ok {
		g.state, _, _ = strings.Cut(s, "]")
	}
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "...") {
			continue
		}
		if c, ok := strings.CutPrefix(l, "created by "); ok {
			g.createdBy, _, _ = strings.Cut(c, " in goroutine ")
			break // what follows belongs to an ancestor, if anything
		}
		if i := strings.LastIndexByte(l, '('); i > 0 && strings.HasSuffix(l, ")") {
			l = l[:i]
		}
		g.funcs = append(g.funcs, l)
	}
	return g, true
}

// CountGoroutines counts the goroutines, other than the caller's, whose
// stack mentions code (a function or file) containing substr, for example
// "github.com/getcd/getcd/lease." for the lease package's.
func CountGoroutines(substr string) int {
	n := 0
	for _, g := range goroutines() {
		if strings.Contains(g.stack, substr) {
			n++
		}
	}
	return n
}

// Goroutines is a snapshot of the goroutines running in the test process,
// taken to check later that those a test starts have ended.
type Goroutines struct {
	before map[int]bool
	settle time.Duration
	only   func(stack string) bool
}

// Only narrows the check to the goroutines whose stack dump (as
// runtime.Stack writes it, "created by" line included) only accepts: for a
// test that shares its process with goroutines it does not own, such as a
// fault proxy's, which live as long as the cluster.
func (s Goroutines) Only(only func(stack string) bool) Goroutines {
	s.only = only
	return s
}

// SnapshotGoroutines records the goroutines running now. Take it after
// the servers the test uses are started and before the test's clients
// connect.
func SnapshotGoroutines() Goroutines {
	before := make(map[int]bool)
	for _, g := range goroutines() {
		before[g.id] = true
	}
	return Goroutines{before: before, settle: settle}
}

// Leaked returns the stacks of the goroutines started since the snapshot
// that are still running, leaving out those of embedded etcd servers
// (their side of the test's connections and streams) and those the
// testing package keeps. Goroutines that are ending get a bounded time to
// end: Leaked polls until none is left, and reports the remaining ones
// when the bound passes.
func (s Goroutines) Leaked() []string {
	deadline := time.Now().Add(s.settle)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var left []string
		for _, g := range goroutines() {
			if !s.before[g.id] && !g.ignored() && !g.server() && (s.only == nil || s.only(g.stack)) {
				left = append(left, g.stack)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(wait)
	}
}
