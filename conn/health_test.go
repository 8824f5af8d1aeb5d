package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
)

// codecTxn is a transaction as Conn.Txn gives it to the codec, and whether
// it writes.
func codecTxn(t *testing.T, txn op.Txn) (*codec.Txn, bool) {
	t.Helper()
	f, err := txnFields(txn, wire.Alias)
	if err != nil {
		t.Fatal(err)
	}
	return &codec.Txn{Fields: f}, f.Write
}

func TestRequireLeader(t *testing.T) {
	linTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a")}}}}}
	serTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a"), Serializable: true}}}}}
	nestedTxn := &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestTxn{RequestTxn: serTxn}}}}
	linGet, serGet := op.Get(kv.New().WithKey("a")), op.Get(kv.New().WithKey("a").WithSerializable())
	codecLin, linWrite := codecTxn(t, op.NewTxn().Then(linGet))
	codecSer, serWrite := codecTxn(t, op.NewTxn().Then(serGet).Else(serGet))
	codecNested, nestedWrite := codecTxn(t, op.NewTxn().Then(op.Nested(op.NewTxn().Then(serGet))))
	codecElse, elseWrite := codecTxn(t, op.NewTxn().Then(serGet).Else(linGet))
	codecPut, putWrite := codecTxn(t, op.NewTxn().Then(serGet).Else(op.Nested(op.NewTxn().Else(op.Put(kv.New().WithKey("a"))))))
	codecEmpty, emptyWrite := codecTxn(t, op.NewTxn())
	if linWrite || serWrite || nestedWrite || elseWrite || emptyWrite || !putWrite {
		t.Fatalf("writes: %v %v %v %v %v %v, want only the put's", linWrite, serWrite, nestedWrite, elseWrite, emptyWrite, putWrite)
	}
	for _, tc := range []struct {
		method string
		req    any
		write  bool
		want   bool
	}{
		// The key-value calls through getcd's codec carry the same facts.
		{MethodRange, &codec.Range{Fields: wire.RangeFields{Key: []byte("a")}}, false, true},
		{MethodRange, &codec.Range{Fields: wire.RangeFields{Key: []byte("a"), Serializable: true}}, false, false},
		{MethodPut, &codec.Put{}, true, true},
		{MethodDeleteRange, &codec.Delete{}, true, true},
		{MethodTxn, codecLin, linWrite, true},
		{MethodTxn, codecSer, serWrite, false},
		{MethodTxn, codecNested, nestedWrite, true}, // etcd counts a nested txn as not serializable
		{MethodTxn, codecElse, elseWrite, true},
		{MethodTxn, codecPut, putWrite, true},
		{MethodTxn, codecEmpty, emptyWrite, false}, // no operation: nothing but serializable ranges
		{MethodTxn, codecSer, true, true},
		{MethodRange, &pb.RangeRequest{Key: []byte("a")}, false, true},
		{MethodRange, &pb.RangeRequest{Key: []byte("a"), Serializable: true}, false, false},
		{MethodPut, &pb.PutRequest{}, true, true},
		{MethodDeleteRange, &pb.DeleteRangeRequest{}, true, true},
		{MethodCompact, &pb.CompactionRequest{}, true, true},
		{MethodTxn, linTxn, false, true},
		{MethodTxn, serTxn, false, false},
		{MethodTxn, nestedTxn, false, true}, // etcd counts a nested txn as not serializable
		{MethodTxn, &pb.TxnRequest{}, true, true},
		{"/etcdserverpb.Cluster/MemberList", &pb.MemberListRequest{}, false, false},
		{"/etcdserverpb.Cluster/MemberList", &pb.MemberListRequest{Linearizable: true}, false, true},
		{"/etcdserverpb.Cluster/MemberAdd", &pb.MemberAddRequest{}, true, true},
		{"/etcdserverpb.Lease/LeaseGrant", &pb.LeaseGrantRequest{}, true, true},
		{"/etcdserverpb.Lease/LeaseTimeToLive", &pb.LeaseTimeToLiveRequest{}, false, true},
		{"/etcdserverpb.Auth/UserGet", &pb.AuthUserGetRequest{}, false, true},
		{"/etcdserverpb.Auth/Authenticate", &pb.AuthenticateRequest{}, false, true},
		{"/etcdserverpb.Maintenance/Status", &pb.StatusRequest{}, false, false},
		{"/etcdserverpb.Maintenance/Defragment", &pb.DefragmentRequest{}, true, false},
		{"/etcdserverpb.Maintenance/HashKV", &pb.HashKVRequest{}, false, false},
		{"/etcdserverpb.Maintenance/MoveLeader", &pb.MoveLeaderRequest{}, true, false},
		{"/etcdserverpb.Maintenance/Alarm", &pb.AlarmRequest{}, true, true},
	} {
		if got := requireLeader(tc.method, tc.req, tc.write); got != tc.want {
			t.Errorf("requireLeader(%s, %v, write %v) = %v, want %v", tc.method, tc.req, tc.write, got, tc.want)
		}
	}
}

func TestUsableEndpoints(t *testing.T) {
	members := []*pb.Member{
		{ID: 1, Name: "m0", ClientURLs: []string{"http://127.0.0.1:1", "https://127.0.0.1:2"}},
		{ID: 2, Name: "m1", ClientURLs: []string{"http://127.0.0.1:3"}},
		{ID: 3, Name: "learner", ClientURLs: []string{"http://127.0.0.1:4"}, IsLearner: true},
		{ID: 4, PeerURLs: []string{"http://127.0.0.1:9"}}, // added, not started
		{ID: 5, Name: "bad", ClientURLs: []string{"unix://sock", "http://127.0.0.1:1"}},
	}
	addrs := func(eps []endpoint) []string {
		var out []string
		for _, ep := range eps {
			out = append(out, ep.addr)
		}
		return out
	}
	got, _ := usableEndpoints(members, false)
	if want := []string{"127.0.0.1:1", "127.0.0.1:3"}; !slices.Equal(addrs(got), want) {
		t.Errorf("plain: %v, want %v", addrs(got), want)
	}
	got, _ = usableEndpoints(members, true)
	if want := []string{"127.0.0.1:2"}; !slices.Equal(addrs(got), want) {
		t.Errorf("TLS: %v, want %v", addrs(got), want)
	}
	got, why := usableEndpoints(members[2:4], false)
	if len(got) != 0 || why != "learner: learner, 4: not started" {
		t.Errorf("learner and unstarted: %v (%q), want none", addrs(got), why)
	}
	if got, why := usableEndpoints(nil, false); len(got) != 0 || why != "the list is empty" {
		t.Errorf("empty list: %v (%q)", got, why)
	}
}

func TestMergeKeepsOrder(t *testing.T) {
	ep := func(names ...string) []endpoint {
		var out []endpoint
		for _, n := range names {
			out = append(out, endpoint{addr: n, host: n})
		}
		return out
	}
	got := merge(ep("c", "a", "x"), ep("a", "b", "c"))
	if want := ep("c", "a", "b"); !sameEndpoints(got, want) {
		t.Errorf("merge = %v, want %v", got, want)
	}
	if sameEndpoints(ep("a", "b"), ep("b", "a")) || !sameEndpoints(ep("a", "b"), ep("a", "b")) {
		t.Error("sameEndpoints does not compare in order")
	}
}

// fakeSC is a SubConn the pickers below hand out.
type fakeSC struct {
	balancer.SubConn
	name string
}

// rrPicker is a round robin over scs, as gRPC's.
type rrPicker struct {
	scs []*fakeSC
	n   int
}

func (p *rrPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	p.n++
	return balancer.PickResult{SubConn: p.scs[p.n%len(p.scs)]}, nil
}

// newTestPicker builds a rotationPicker over three endpoints a, b, c.
func newTestPicker() (*rotationPicker, *health, map[string]*subConn) {
	eps := []endpoint{{addr: "a"}, {addr: "b"}, {addr: "c"}}
	c := &Conn{tracker: newTracker(eps, DefaultBackoffBase, DefaultBackoffMax, slog.New(slog.DiscardHandler))}
	c.eps.Store(&eps)
	h := newHealth(c)
	child := &rrPicker{}
	p := &rotationPicker{child: child, scs: map[balancer.SubConn]*subConn{}, h: h}
	byName := map[string]*subConn{}
	for _, ep := range eps {
		sc := &fakeSC{name: ep.addr}
		child.scs = append(child.scs, sc)
		entry := newSubConn(h, ep.addr)
		entry.sc = sc
		entry.ready.Store(true)
		p.scs[sc] = entry
		byName[ep.addr] = entry
	}
	return p, h, byName
}

func pickNames(t *testing.T, p *rotationPicker, ctx context.Context, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		r, err := p.Pick(balancer.PickInfo{Ctx: ctx})
		if err != nil {
			t.Fatalf("pick: %v", err)
		}
		got[r.SubConn.(*fakeSC).name]++
	}
	return got
}

// A member that answers "no leader" leaves the rotation; every other answer
// leaves it in. When every member is out, calls still go.
func TestRotationPicker(t *testing.T) {
	p, h, scs := newTestPicker()
	ctx := context.Background()
	// A probe reaches its target while nothing is out (a suspect's probe).
	h.probing.Add(1)
	if got := pickNames(t, p, context.WithValue(ctx, probeTarget{}, "c"), 3); got["c"] != 3 {
		t.Errorf("probe of c with nothing out: picks %v, want c only", got)
	}
	h.probing.Add(-1)
	if got := pickNames(t, p, ctx, 30); got["a"] != 10 || got["b"] != 10 || got["c"] != 10 {
		t.Fatalf("all in rotation: picks %v, want 10 each", got)
	}
	// Answers that do not take a member out.
	for _, err := range []error{rpctypes.ErrGRPCCompacted, rpctypes.ErrGRPCLeaderChanged, status.Error(codes.Unavailable, "connection refused"), context.Canceled} {
		scs["b"].done(balancer.DoneInfo{Err: err})
	}
	if h.outNum.Load() != 0 {
		t.Fatalf("%d endpoints out after answers that are not health verdicts", h.outNum.Load())
	}
	// A "no leader" answer, as gRPC hands it to Done.
	scs["b"].done(balancer.DoneInfo{Err: rpctypes.ErrGRPCNoLeader})
	if got := pickNames(t, p, ctx, 30); got["b"] != 0 || got["a"]+got["c"] != 30 {
		t.Errorf("b out: picks %v, want none on b", got)
	}
	if st := p.h.c.tracker.snapshot(); !st[1].OutOfRotation || !errors.Is(st[1].OutReason, ErrNoLeader) || st[1].OutSince.IsZero() || st[0].OutOfRotation {
		t.Errorf("Status after b was taken out: %+v", st)
	}
	// The prober still reaches b.
	pctx := context.WithValue(ctx, probeTarget{}, "b")
	h.probing.Add(1)
	defer h.probing.Add(-1)
	if got := pickNames(t, p, pctx, 3); got["b"] != 3 {
		t.Errorf("probe of b: picks %v, want b only", got)
	}
	// NOSPACE and CORRUPT take members out too; with all three out, calls
	// go anyway.
	scs["a"].done(balancer.DoneInfo{Err: rpctypes.ErrGRPCNoSpace})
	if got := pickNames(t, p, ctx, 10); got["c"] != 10 {
		t.Errorf("a and b out: picks %v, want c only", got)
	}
	scs["c"].done(balancer.DoneInfo{Err: rpctypes.ErrGRPCCorrupt})
	if got := pickNames(t, p, ctx, 30); got["a"]+got["b"]+got["c"] != 30 {
		t.Errorf("all out: picks %v, want every call placed", got)
	}
	if h.inRotation() != 0 {
		t.Errorf("inRotation = %d, want 0", h.inRotation())
	}
	h.putBack(scs["b"].ep)
	if got := pickNames(t, p, ctx, 10); got["b"] != 10 {
		t.Errorf("b back: picks %v, want b only", got)
	}
	// A probe of an endpoint that is not connected fails at once.
	scs["a"].ready.Store(false)
	if _, err := p.Pick(balancer.PickInfo{Ctx: context.WithValue(ctx, probeTarget{}, "a")}); status.Code(err) != codes.Unavailable {
		t.Errorf("probe of an unconnected endpoint: %v, want Unavailable", err)
	}
}

// KV calls picked and not done make a member suspect once it has ended no
// KV call for a while; so do held calls (a watch); other calls do not.
func TestSuspect(t *testing.T) {
	p, _, scs := newTestPicker()
	var picked []balancer.PickResult
	for _, m := range []string{"/etcdserverpb.Watch/Watch", MethodRange, MethodPut, MethodRange, methodStatus, "/etcdserverpb.Maintenance/Snapshot"} {
		r, err := p.Pick(balancer.PickInfo{FullMethodName: m, Ctx: context.Background()})
		if err != nil {
			t.Fatal(err)
		}
		picked = append(picked, r)
	}
	later := time.Now().Add(time.Second)
	suspects := func() []string {
		var out []string
		for _, n := range []string{"a", "b", "c"} {
			if scs[n].ep.suspect(later, false) {
				out = append(out, n)
			}
		}
		return out
	}
	// The round robin began at b: the watch went to b, the KV calls to c,
	// a, b, the status and the snapshot to c and a.
	if got := suspects(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("suspects %v with a KV call in flight on each", got)
	}
	for _, r := range picked[1:4] {
		r.Done(balancer.DoneInfo{})
	}
	for _, n := range []string{"a", "b", "c"} {
		if n := scs[n].ep.inflight.Load(); n != 0 {
			t.Errorf("%d KV calls in flight after they all ended", n)
		}
	}
	// Their ends were just now: nobody is suspect until later.
	if sc := scs["b"].ep; !sc.suspect(later, false) || sc.suspect(time.Now().Add(-time.Second), false) {
		t.Errorf("b holds a watch: suspect(later) %v, suspect(a second ago) %v; want true, false", sc.suspect(later, false), sc.suspect(time.Now().Add(-time.Second), false))
	}
	if got := suspects(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("suspects %v, want b only (its watch; the status and the snapshot on c and a are neither KV nor held)", got)
	}
	if scs["b"].ep.suspect(later, true) {
		t.Error("b suspect for its watch alone while it is the only endpoint")
	}
	picked[0].Done(balancer.DoneInfo{})
	if got := suspects(); len(got) != 0 || scs["b"].ep.held.Load() != 0 || scs["b"].ep.inflight.Load() != 0 {
		t.Errorf("after the watch ended: suspects %v, b holds %d, has %d KV calls", got, scs["b"].ep.held.Load(), scs["b"].ep.inflight.Load())
	}
	for _, r := range picked[4:] {
		r.Done(balancer.DoneInfo{})
	}
}

func TestStatusUnhealthy(t *testing.T) {
	for _, tc := range []struct {
		resp *pb.StatusResponse
		want error
	}{
		{&pb.StatusResponse{Leader: 7}, nil},
		{&pb.StatusResponse{Leader: 0, Errors: []string{"etcdserver: no leader"}}, ErrNoLeader},
		{&pb.StatusResponse{Leader: 7, Errors: []string{(&pb.AlarmMember{MemberID: 7, Alarm: pb.AlarmType_NOSPACE}).String()}}, ErrNoSpace},
		{&pb.StatusResponse{Leader: 7, Errors: []string{(&pb.AlarmMember{MemberID: 7, Alarm: pb.AlarmType_CORRUPT}).String()}}, ErrCorrupt},
	} {
		got := statusUnhealthy(tc.resp)
		if (got == nil) != (tc.want == nil) || (tc.want != nil && !errors.Is(got, tc.want)) {
			t.Errorf("statusUnhealthy(%v) = %v; want %v", tc.resp, got, tc.want)
		}
	}
}

// After the last attempt of a retried read, gRPC wraps the status in "max
// retries exhausted"; etcd's description must still decide the sentinel.
func TestMapErrorMaxRetries(t *testing.T) {
	for _, inner := range []error{rpctypes.ErrGRPCNoLeader, rpctypes.ErrGRPCLeaderChanged} {
		wrapped := fmt.Errorf("max retries exhausted: failed after 5 attempts: %w", inner)
		err := mapError(context.Background(), MethodRange, "127.0.0.1:2379", false, 0, wrapped)
		want := serverErrors[rpctypes.ErrorDesc(inner)]
		if !errors.Is(err, want) || status.Code(err) != codes.Unavailable {
			t.Errorf("mapError(%v) = %v, want %v", wrapped, err, want)
		}
		if outReason(wrapped) != outReason(inner) {
			t.Errorf("outReason(%v) = %v, want %v", wrapped, outReason(wrapped), outReason(inner))
		}
	}
}

func TestResendNoLeader(t *testing.T) {
	eps := []endpoint{{addr: "a"}, {addr: "b"}, {addr: "c"}}
	c := &Conn{tracker: newTracker(eps, DefaultBackoffBase, DefaultBackoffMax, slog.New(slog.DiscardHandler))}
	c.eps.Store(&eps)
	c.health = newHealth(c)
	noLeader := mapError(context.Background(), MethodPut, "a", true, 0, rpctypes.ErrGRPCNoLeader)
	for _, tc := range []struct {
		method string
		write  bool
		err    error
		try    int
		want   bool
	}{
		{MethodPut, true, noLeader, 1, true},
		{MethodTxn, true, noLeader, 2, true},
		{MethodRange, false, noLeader, 1, true},
		{"/etcdserverpb.Cluster/MemberPromote", true, noLeader, 1, false}, // waitLeader may fail after forwarding
		{"/etcdserverpb.Cluster/MemberAdd", true, noLeader, 1, false},     // not listed
		{MethodPut, true, noLeader, 3, false},                             // one try per endpoint
		{MethodPut, true, mapError(context.Background(), MethodPut, "a", true, 0, rpctypes.ErrGRPCTimeout), 1, false},
	} {
		if got := c.resendNoLeader(tc.method, tc.write, tc.err, tc.try); got != tc.want {
			t.Errorf("resendNoLeader(%s, %v, try %d) = %v, want %v", tc.method, tc.err, tc.try, got, tc.want)
		}
	}
	for _, e := range []string{"a", "b", "c"} {
		c.health.takeOut(c.health.entry(e), ErrNoLeader)
	}
	if c.resendNoLeader(MethodPut, true, noLeader, 1) {
		t.Error("resent with every endpoint out of rotation")
	}
}

// ErrNoLeader is a refusal before the proposal, except from a follower that
// forwarded a promotion to the leader and then stopped waiting for one.
func TestNoLeaderOutcome(t *testing.T) {
	bg := context.Background()
	if err := mapError(bg, MethodPut, "a", true, 0, rpctypes.ErrGRPCNoLeader); err.Unknown {
		t.Errorf("put refused with no leader: %v, want a known outcome", err)
	}
	if err := mapError(bg, methodMemberPromote, "a", true, 0, rpctypes.ErrGRPCNoLeader); !err.Unknown || !errors.Is(err, ErrNoLeader) {
		t.Errorf("promotion refused with no leader: %v, want ErrNoLeader with an unknown outcome", err)
	}
}

func TestWithRequireLeader(t *testing.T) {
	bg := context.Background()
	has := func(ctx context.Context) []string {
		return metadata.ValueFromOutgoingContext(ctx, rpctypes.MetadataRequireLeaderKey)
	}
	if v := has(withRequireLeader(bg)); !slices.Equal(v, []string{"true"}) {
		t.Errorf("plain context: hasleader = %v", v)
	}
	user := metadata.AppendToOutgoingContext(bg, "x-user", "1")
	ctx := withRequireLeader(user)
	if v := has(ctx); !slices.Equal(v, []string{"true"}) || !slices.Equal(metadata.ValueFromOutgoingContext(ctx, "x-user"), []string{"1"}) {
		t.Errorf("user metadata: hasleader %v, x-user %v; want both kept", v, metadata.ValueFromOutgoingContext(ctx, "x-user"))
	}
	already := metadata.AppendToOutgoingContext(bg, rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
	if got := withRequireLeader(already); got != already {
		t.Error("a context that already requires a leader was wrapped again")
	}
	// The cost on every call that requires a leader: a context and its value.
	if n := testing.AllocsPerRun(100, func() { _ = withRequireLeader(bg) }); n > 2 {
		t.Errorf("withRequireLeader allocates %v times, want at most 2", n)
	}
}

// liveConns keeps an endpoint's latest connections and closes them all.
func TestLiveConns(t *testing.T) {
	var l liveConns
	var ends []net.Conn
	for range keptConns + 2 {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		l.add("h:1", a)
		ends = append(ends, b)
	}
	other, otherEnd := net.Pipe()
	t.Cleanup(func() { other.Close(); otherEnd.Close() })
	l.add("h:2", other)
	if n := l.closeAll("h:1"); n != keptConns {
		t.Fatalf("closeAll closed %d connections, want the latest %d", n, keptConns)
	}
	buf := make([]byte, 1)
	for i, b := range ends {
		_ = b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := b.Read(buf)
		closed := errors.Is(err, io.EOF)
		if want := i >= 2; closed != want {
			t.Errorf("connection %d: closed = %v (%v), want %v", i, closed, err, want)
		}
	}
	if n := l.closeAll("h:1"); n != 0 {
		t.Errorf("a second closeAll closed %d", n)
	}
	_ = otherEnd.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := otherEnd.Read(buf); errors.Is(err, io.EOF) {
		t.Error("another endpoint's connection was closed")
	}
}

// rescue closes a member's connections only when it has been out for no
// leader since at least the probe before, while another member is in
// rotation and connected; once per time out, again after it came back and
// left again.
func TestRescueConditions(t *testing.T) {
	_, h, byName := newTestPicker()
	h.c.cfg.ProbeInterval = time.Hour // outAt is set by hand below
	h.c.cfg.Logger = slog.New(slog.DiscardHandler)
	a := byName["a"].ep
	open := func() net.Conn {
		x, y := net.Pipe()
		t.Cleanup(func() { x.Close(); y.Close() })
		h.c.live.add("a", x)
		return y
	}
	closed := func(y net.Conn) bool {
		_ = y.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := y.Read(make([]byte, 1))
		return errors.Is(err, io.EOF)
	}
	long := time.Now().Add(-2 * time.Hour).UnixNano()

	y := open()
	h.takeOut(a, ErrNoLeader)
	h.rescue(a, ErrNoLeader) // out just now: maybe a brief election
	if closed(y) {
		t.Fatal("closed at once, without a second probe")
	}
	a.outAt.Store(long)
	// b and c are in rotation (never refused) but not connected: they are
	// down, a lost its quorum, and there is nowhere else to go.
	h.c.tracker.update("b", balancer.SubConnState{ConnectivityState: connectivity.TransientFailure, ConnectionError: errors.New("refused")})
	h.rescue(a, ErrNoLeader)
	if closed(y) {
		t.Fatal("closed while the members in rotation are not connected")
	}
	h.c.tracker.update("b", balancer.SubConnState{ConnectivityState: connectivity.Ready})
	h.rescue(a, ErrNoSpace) // an alarm: every member has it, nowhere better to go
	if closed(y) {
		t.Fatal("closed for an alarm")
	}
	for _, o := range []string{"b", "c"} {
		h.takeOut(byName[o].ep, ErrNoLeader)
	}
	h.rescue(a, ErrNoLeader) // nobody in rotation: the cluster is electing or down
	if closed(y) {
		t.Fatal("closed while no member is in rotation")
	}
	h.putBack(byName["b"].ep)
	h.rescue(a, &outError{reason: ErrNoLeader, detail: "the member reports no leader"})
	if !closed(y) {
		t.Fatal("not closed: out since long ago, without a leader, b in rotation")
	}
	y2 := open()
	h.rescue(a, ErrNoLeader)
	if closed(y2) {
		t.Fatal("closed twice in one time out")
	}
	h.putBack(a)
	h.takeOut(a, ErrNoLeader)
	a.outAt.Store(long)
	h.rescue(a, ErrNoLeader)
	if !closed(y2) {
		t.Fatal("not closed after leaving the rotation again")
	}
}

// An endpoint that SetEndpoints or Sync removes leaves no record of its
// network connections behind: without that, every member a long-lived
// connection ever followed kept its closed connections recorded.
func TestSetEndpointsForgetsConns(t *testing.T) {
	eps := []endpoint{{addr: "a:1"}, {addr: "c:1"}}
	c := &Conn{cfg: Config{Logger: slog.New(slog.DiscardHandler)}, resolver: manual.NewBuilderWithScheme("test-forget")}
	c.eps.Store(&eps)
	c.tracker = newTracker(eps, DefaultBackoffBase, DefaultBackoffMax, c.cfg.Logger)
	c.health = newHealth(c)
	for _, ep := range eps {
		x, y := net.Pipe()
		t.Cleanup(func() { x.Close(); y.Close() })
		c.live.add(ep.addr, x)
	}
	if err := c.setEndpoints([]endpoint{{addr: "a:1"}, {addr: "b:1"}}); err != nil {
		t.Fatal(err)
	}
	c.live.mu.Lock()
	defer c.live.mu.Unlock()
	if got := slices.Sorted(maps.Keys(c.live.by)); !slices.Equal(got, []string{"a:1"}) {
		t.Errorf("connections recorded for %v after the endpoints became a:1, b:1; want a:1 only", got)
	}
}
