package faulttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/maintenance"
)

// Traffic and guards of one scenario run.
const (
	kvClients    = 4
	watchers     = 2
	keptLeases   = 2
	leaseTTL     = 10  // seconds; longer than any fault, as etcd's traffic keeps leases
	minOpsBefore = 100 // operations before the first fault, or the run proves nothing
	callTimeout  = 2 * time.Second
)

// soak is GETCD_SOAK: the number of repetitions of each scenario, and of the
// faults within one (default 1).
func soak() int {
	n, err := strconv.Atoi(os.Getenv("GETCD_SOAK"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// run is one scenario on a fresh three-member cluster.
type run struct {
	t      *testing.T
	cl     *cluster
	rec    *recorder
	admin  *conn.Conn
	faults int
	// compacted is the revision of the scenario's last compaction (0:
	// none); a soak compacts once per round.
	compacted int64
	ws        []*watcher
	extra     []*kvClient     // clients a scenario adds; their histories are checked too
	leases    []*lease.Handle // leases a scenario keeps alive; checked with the others
	// leaseStream knows the endpoint of the kept-alive leases' stream.
	leaseStream streamEndpoint
	notes       []string // violations a scenario found itself
	mu          sync.Mutex
}

func (r *run) violation(format string, args ...any) {
	r.mu.Lock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// summary is the line printed per scenario.
type summary struct {
	name                      string
	ops, failed, unknown      int
	events                    int
	faults                    int
	violations                int
	longestWait               time.Duration
	leasesLost, leasesChecked int
	readsFailed               int64
}

func (s summary) String() string {
	return fmt.Sprintf("%-22s ops %5d (failed %3d, unknown outcome %3d)  watch events %5d  faults %2d  leases %d/%d lost  violations %d  longest fail-over wait %v",
		s.name, s.ops, s.failed, s.unknown, s.events, s.faults, s.leasesLost, s.leasesChecked, s.violations, s.longestWait.Round(time.Millisecond))
}

func newConn(t *testing.T, eps []string, opts ...grpc.DialOption) *conn.Conn {
	t.Helper()
	c, err := conn.New(context.Background(), conn.Config{Endpoints: eps, DialTimeout: 5 * time.Second,
		KeepAliveTime: 5 * time.Second, KeepAliveTimeout: 2 * time.Second, DialOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// leader returns the index of the member that says it leads, asking each
// member on the admin connection.
func (r *run) leader() (int, error) {
	for i, m := range r.cl.Members {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := maintenance.Status(ctx, r.admin, maintenance.New().WithEndpoint(m.Endpoint()))
		cancel()
		if err == nil && st.IsLeader() {
			return i, nil
		}
	}
	return -1, errors.New("no member says it leads")
}

// waitLeader waits until some member leads again.
func (r *run) waitLeader() int {
	deadline := time.Now().Add(30 * time.Second)
	for {
		i, err := r.leader()
		if err == nil {
			return i
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no leader after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scenario runs traffic on a fresh cluster, calls inject in the middle, and
// checks everything recorded. It returns the summary.
func scenario(t *testing.T, name string, start func(*testing.T) *cluster, inject func(r *run)) summary {
	t.Helper()
	lg := zap.NewNop()
	cl := start(t)
	// The client's goroutines from here on must all end once its
	// connections are closed.
	before := etcdtest.SnapshotGoroutines().Only(clientGoroutine)
	var conns []*conn.Conn
	open := func() *conn.Conn {
		c := newConn(t, cl.Endpoints())
		conns = append(conns, c)
		return c
	}
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	defer closeAll()
	r := &run{t: t, cl: cl, rec: newRecorder()}
	r.admin = open()

	// Kept-alive leases, on a connection of their own, whose keep-alive
	// stream's endpoint is known.
	lc := newConn(t, cl.Endpoints(), grpc.WithStatsHandler(&r.leaseStream))
	conns = append(conns, lc)
	var handles []*lease.Handle
	for range keptLeases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		g, err := lease.Grant(ctx, lc, lease.TTL(leaseTTL))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		// The keep-alive lasts as long as the context given to it.
		h, err := lease.KeepAlive(context.Background(), lc, lease.ID(g.ID))
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}

	var clients []*kvClient
	for range kvClients {
		clients = append(clients, newKVClient(r.rec, open()))
	}
	if err := clients[0].firstGet(); err != nil {
		t.Fatal(err)
	}
	var ws []*watcher
	for range watchers {
		w, err := startWatcher(r.rec, open())
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	r.ws = ws

	_, stop := startLoad(t, clients)

	inject(r)

	time.Sleep(500 * time.Millisecond) // traffic after recovery
	stop()

	var violations []string
	// The last write must succeed once the cluster recovered.
	finalRev, err := clients[0].finalPut()
	if err != nil {
		violations = append(violations, fmt.Sprintf("final write failed: %v", err))
	}
	// Every watcher reaches the final revision.
	for i, w := range ws {
		if !w.stopAt(finalRev, 30*time.Second) {
			violations = append(violations, fmt.Sprintf("watcher %d stopped at revision %d of %d (%v)", i, w.last.Load(), finalRev, w.err))
		}
	}
	// Leases: the handles against the server's word.
	handles = append(handles, r.leases...)
	outcomes := r.leaseOutcomes(handles)
	violations = append(violations, checkLeases(outcomes)...)
	for _, h := range handles {
		h.Stop()
	}
	// Equal HashKV on every member at the final revision.
	violations = append(violations, r.hashes(finalRev)...)
	closeAll()
	violations = append(violations, leftGoroutines(t, before)...)

	var sum summary
	sum.name = name
	sum.faults = r.faults
	var reports []report.ClientReport
	violations = append(violations, r.notes...)
	for _, k := range append(clients, r.extra...) {
		reports = append(reports, k.report())
		sum.ops += k.ops
		sum.failed += k.failed
		sum.unknown += k.unknown
		for _, e := range k.untyped {
			violations = append(violations, fmt.Sprintf("untyped error: %v", e))
		}
	}
	for _, w := range ws {
		rep := w.report()
		sum.events += rep.WatchEventCount()
		reports = append(reports, rep)
	}
	for _, o := range outcomes {
		sum.leasesChecked++
		if o.Lost {
			sum.leasesLost++
		}
	}

	// What the members persisted, read from their WALs once they stopped.
	persisted, v := persistedBy(t, lg, cl)
	violations = append(violations, v...)
	violations = append(violations, checkAppliedOnce(persisted)...)
	violations = append(violations, checkRevisionsMonotonic(reports)...)
	violations = append(violations, validatorViolations(validateHistory(lg, name, reports, persisted))...)
	sum.violations = len(violations)
	sum.longestWait = time.Duration(r.rec.longest.Load())
	sum.readsFailed = r.rec.readsFailed.Load()
	if len(violations) > 0 {
		t.Errorf("%s: %d violations: %s", name, len(violations), joinViolations(violations))
	}
	return sum
}

// leaseOutcomes asks the server about every kept-alive lease and compares
// with its handle. A handle still alive for a lease the server dropped gets
// the lease's TTL to notice before it counts.
func (r *run) leaseOutcomes(handles []*lease.Handle) []leaseOutcome {
	var out []leaseOutcome
	for _, h := range handles {
		ttl := r.serverTTL(h.ID())
		if ttl < 0 {
			select {
			case <-h.Done():
			case <-time.After(2 * leaseTTL * time.Second):
			}
		}
		o := leaseOutcome{ID: h.ID(), ServerTTL: ttl}
		select {
		case <-h.Done():
			o.Lost = errors.Is(h.Err(), lease.ErrLeaseLost)
			o.Ended = !o.Lost
			o.HandleNote = fmt.Sprint(h.Err())
		default:
			o.HandleNote = fmt.Sprintf("last ack %v ago", time.Since(h.LastAck()).Round(time.Millisecond))
		}
		out = append(out, o)
	}
	return out
}

func (r *run) serverTTL(id int64) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ttl, err := lease.TimeToLive(ctx, r.admin, lease.ID(id))
	if err != nil {
		if errors.Is(err, conn.ErrLeaseNotFound) {
			return -1
		}
		r.t.Errorf("time to live of lease %x: %v", id, err)
		return 0
	}
	return ttl.TTL
}

// hashes compares every member's HashKV at rev.
func (r *run) hashes(rev int64) []string {
	if rev == 0 {
		return nil
	}
	var first uint32
	var out []string
	for i, m := range r.cl.Members {
		var h *maintenance.HashKVResponse
		var err error
		for range 50 { // a restarted member may still be catching up
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			h, err = maintenance.HashKV(ctx, r.admin, maintenance.New().WithEndpoint(m.Endpoint()).WithRev(rev))
			cancel()
			if err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			out = append(out, fmt.Sprintf("HashKV of %s: %v", m.Name, err))
			continue
		}
		if i == 0 {
			first = h.Hash
		} else if h.Hash != first {
			out = append(out, fmt.Sprintf("HashKV of %s at %d is %x, %s's is %x", m.Name, rev, h.Hash, r.cl.Members[0].Name, first))
		}
	}
	return out
}

// persistedBy stops the cluster and reads what its members persisted from
// their WALs; an empty read-back is a violation (etcd's validators skip the
// watch and serializable checks then).
func persistedBy(t *testing.T, lg *zap.Logger, cl *cluster) ([]model.EtcdRequest, []string) {
	t.Helper()
	cl.Close()
	var dirs []string
	for _, m := range cl.Members {
		dirs = append(dirs, m.DataDir())
	}
	persisted, err := report.PersistedRequests(lg, dirs)
	if err != nil {
		t.Fatalf("read the WAL: %v", err)
	}
	if len(persisted) == 0 {
		return nil, []string{"no request read back from the WAL"}
	}
	return persisted, nil
}

// clientGoroutine reports whether a goroutine of a stack dump is the
// client's: it runs getcd's code, gRPC's or this package's. The cluster's
// proxies and processes (etcdtest) and testcontainers' Docker client are
// the harness's and live as long as the cluster does.
func clientGoroutine(stack string) bool {
	if strings.Contains(stack, "github.com/getcd/getcd/integration/etcdtest.") {
		return false
	}
	for _, l := range strings.Split(stack, "\n") {
		l = strings.TrimPrefix(l, "created by ")
		if strings.HasPrefix(l, "github.com/getcd/getcd/") || strings.HasPrefix(l, "google.golang.org/grpc") {
			return true
		}
	}
	return false
}

// leftGoroutines returns a violation when client goroutines started since
// before still run, and logs their stacks.
func leftGoroutines(t *testing.T, before etcdtest.Goroutines) []string {
	left := before.Leaked()
	if len(left) == 0 {
		return nil
	}
	t.Logf("client goroutines left after every connection closed:\n\n%s", strings.Join(left, "\n\n"))
	return []string{fmt.Sprintf("%d client goroutines left after every connection closed", len(left))}
}

// startLoad runs every client's calls, one at a time each, on goroutines
// of their own, and returns once they have made minOpsBefore calls (the
// test fails if that takes more than 30 s); ops counts the calls made so
// far, and stop ends the calls and waits for them.
func startLoad(t *testing.T, clients []*kvClient) (ops func() int64, stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, k := range clients {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				k.step(callTimeout)
				total.Add(1)
			}
		})
	}
	stop = func() {
		close(done)
		wg.Wait()
	}
	for deadline := time.Now().Add(30 * time.Second); total.Load() < minOpsBefore; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("only %d operations before the fault", total.Load())
		}
	}
	return total.Load, stop
}

// streamEndpoint is a gRPC stats handler that remembers the endpoint the
// last lease keep-alive stream of its connection was opened on.
type streamEndpoint struct {
	mu   sync.Mutex
	addr string
}

func (h *streamEndpoint) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (h *streamEndpoint) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *streamEndpoint) HandleConn(context.Context, stats.ConnStats) {}
func (h *streamEndpoint) HandleRPC(_ context.Context, s stats.RPCStats) {
	if oh, ok := s.(*stats.OutHeader); ok && oh.Client && oh.FullMethod == "/etcdserverpb.Lease/LeaseKeepAlive" && oh.RemoteAddr != nil {
		h.mu.Lock()
		h.addr = oh.RemoteAddr.String()
		h.mu.Unlock()
	}
}

// endpoint returns the endpoint of the last keep-alive stream ("" before
// the first).
func (h *streamEndpoint) endpoint() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}
