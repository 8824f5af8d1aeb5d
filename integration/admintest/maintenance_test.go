package admintest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

func TestStatus(t *testing.T) {
	c := open(t, conn.Config{})
	ctx := testCtx(t)
	ep := shared.Endpoints()[0]
	for i, req := range []maintenance.Request{maintenance.New(), maintenance.New().WithEndpoint(ep), maintenance.New().WithEndpoint("http://" + ep)} {
		st, err := maintenance.Status(ctx, c, req)
		if err != nil {
			t.Fatal(err)
		}
		if st.Header.MemberID == 0 || st.Header.ClusterID == 0 || st.Header.Revision == 0 {
			t.Errorf("header %+v has zeros", st.Header)
		}
		if !strings.HasPrefix(st.Version, "3.") || st.DBSize <= 0 || st.DBSizeInUse <= 0 || st.DBSizeInUse > st.DBSize ||
			st.RaftTerm == 0 || st.RaftIndex == 0 || st.RaftAppliedIndex == 0 || st.StorageVersion == "" || st.DBSizeQuota <= 0 {
			t.Errorf("implausible status %+v", st)
		}
		if !st.IsLeader() || st.IsLearner || len(st.Errors) != 0 || st.Downgrade.Enabled {
			t.Errorf("a single healthy member: %+v", st)
		}
		if want := map[bool]string{true: ep, false: ""}[i > 0]; st.Endpoint != want {
			t.Errorf("Endpoint = %q, want %q", st.Endpoint, want)
		}
	}
}

// A connection to several endpoints reaches a chosen one through one
// connection of its own, opened on first use and reused; closing the
// parent closes it.
func TestChosenEndpointConnection(t *testing.T) {
	other := etcdtest.Start(t, etcdtest.WithDedicated())
	counter := newCounter()
	eps := []string{shared.Endpoints()[0], other.Endpoints()[0]}
	c, err := conn.New(testCtx(t), conn.Config{Endpoints: eps, DialOptions: []grpc.DialOption{counter.option()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testCtx(t)
	ids := map[string]uint64{}
	for _, ep := range eps {
		st, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(ep))
		if err != nil {
			t.Fatal(err)
		}
		ids[ep] = st.Header.MemberID
		if st.Endpoint != ep {
			t.Errorf("Endpoint = %q, want %q", st.Endpoint, ep)
		}
	}
	if ids[eps[0]] == ids[eps[1]] {
		t.Fatalf("both endpoints answered as member %x", ids[eps[0]])
	}
	transports := counter.transp.Load()
	for range 5 {
		for _, ep := range eps {
			st, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(ep))
			if err != nil {
				t.Fatal(err)
			}
			if st.Header.MemberID != ids[ep] {
				t.Fatalf("status WithEndpoint(%s) answered by %x, want %x", ep, st.Header.MemberID, ids[ep])
			}
		}
	}
	if n := counter.transp.Load(); n != transports {
		t.Errorf("transports grew from %d to %d: the per-endpoint connections were not reused", transports, n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(eps[0])); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("after Close: %v, want conn.ErrClosed", err)
	}
}

// An endpoint that does not answer fails the call within its timeout, and
// the next call tries again.
func TestChosenEndpointUnreachable(t *testing.T) {
	c := open(t, conn.Config{DialTimeout: 300 * time.Millisecond})
	ctx := testCtx(t)
	dead := etcdtest.DeadEndpoint(t)
	for range 2 {
		_, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(dead))
		if !errors.Is(err, conn.ErrUnavailable) {
			t.Fatalf("unreachable endpoint: %v, want conn.ErrUnavailable", err)
		}
	}
	if _, err := maintenance.Status(ctx, c, maintenance.New()); err != nil {
		t.Errorf("the connection itself: %v", err)
	}
}

// WithTimeout bounds the whole call, opening the connection to the chosen
// endpoint included: with a DialTimeout far above it, a call to an
// endpoint that does not answer ends by its own timeout, long before the
// caller's context.
func TestChosenEndpointTimeout(t *testing.T) {
	c := open(t, conn.Config{DialTimeout: time.Hour})
	ctx := testCtx(t)
	dead := etcdtest.DeadEndpoint(t)
	var buf bytes.Buffer
	for name, call := range map[string]func(maintenance.Request) error{
		"status":     func(r maintenance.Request) error { _, err := maintenance.Status(ctx, c, r); return err },
		"defragment": func(r maintenance.Request) error { _, err := maintenance.Defragment(ctx, c, r); return err },
		"hash_kv":    func(r maintenance.Request) error { _, err := maintenance.HashKV(ctx, c, r); return err },
		"hash":       func(r maintenance.Request) error { _, err := maintenance.Hash(ctx, c, r); return err },
		"move_leader": func(r maintenance.Request) error {
			_, err := maintenance.MoveLeader(ctx, c, r.WithTarget(1))
			return err
		},
		"snapshot": func(r maintenance.Request) error {
			_, err := maintenance.Snapshot(ctx, c, r.WithWriter(&buf))
			return err
		},
	} {
		err := call(maintenance.New().WithEndpoint(dead).WithTimeout(200 * time.Millisecond))
		if ctx.Err() != nil {
			t.Fatalf("%s: the call outlived the test's context: %v", name, err)
		}
		if !errors.Is(err, conn.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s to an endpoint that does not answer: %v, want conn.ErrUnavailable and context.DeadlineExceeded", name, err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("the snapshot wrote %d bytes", buf.Len())
	}
}

// A call that waits for another call to open the connection to the same
// endpoint, and whose time runs out first, fails as the opener would: a
// *conn.Error matching conn.ErrUnavailable and the context's error.
func TestChosenEndpointWaiter(t *testing.T) {
	c := open(t, conn.Config{DialTimeout: time.Hour})
	ctx := testCtx(t)
	p, err := etcdtest.NewProxy(shared.Endpoints()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	p.Blackhole(etcdtest.Both) // TCP connects, gRPC never becomes ready
	openerCtx, cancelOpener := context.WithCancel(ctx)
	defer cancelOpener()
	opened := make(chan error, 1)
	go func() {
		_, err := maintenance.Status(openerCtx, c, maintenance.New().WithEndpoint(p.Addr()))
		opened <- err
	}()
	eventually(t, ctx, "the first call dials the endpoint", func() bool { return p.Stats().Accepted > 0 })

	_, err = maintenance.Status(ctx, c, maintenance.New().WithEndpoint(p.Addr()).WithTimeout(100*time.Millisecond))
	var ce *conn.Error
	if !errors.As(err, &ce) || !errors.Is(err, conn.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("a call waiting for the connection: %v (%T), want a *conn.Error matching conn.ErrUnavailable and context.DeadlineExceeded", err, err)
	}
	cancelOpener()
	if err := <-opened; !errors.Is(err, conn.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("the call opening the connection: %v, want conn.ErrUnavailable and context.Canceled", err)
	}
}

func TestHashKV(t *testing.T) {
	c := open(t, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	var rev int64
	for i := range 10 {
		r, err := c.Put(ctx, kv.New().WithKey(p+strconv.Itoa(i)).WithValue("v"))
		if err != nil {
			t.Fatal(err)
		}
		rev = r.Header.Revision
	}
	ep := shared.Endpoints()[0]
	h1, err := maintenance.HashKV(ctx, c, maintenance.New().WithRev(rev).WithEndpoint(ep))
	if err != nil {
		t.Fatal(err)
	}
	if h1.HashRevision != rev || h1.Hash == 0 || h1.Endpoint != ep {
		t.Errorf("HashKV at %d: %+v", rev, h1)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(p+"later").WithValue("v")); err != nil {
		t.Fatal(err)
	}
	h2, err := maintenance.HashKV(ctx, c, maintenance.New().WithRev(rev))
	if err != nil {
		t.Fatal(err)
	}
	if h2.Hash != h1.Hash || h2.HashRevision != rev {
		t.Errorf("the same revision hashed twice: %+v then %+v", h1, h2)
	}
	now, err := maintenance.HashKV(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if now.HashRevision <= rev || now.Hash == h1.Hash {
		t.Errorf("the newest revision: %+v, after %+v", now, h1)
	}
	if _, err := maintenance.HashKV(ctx, c, maintenance.New().WithRev(now.Header.Revision+1000)); !errors.Is(err, conn.ErrFutureRev) {
		t.Errorf("a future revision: %v, want conn.ErrFutureRev", err)
	}
	h, err := maintenance.Hash(ctx, c, maintenance.New().WithEndpoint(ep))
	if err != nil || h.Hash == 0 || h.Header.MemberID == 0 {
		t.Errorf("Hash = %+v, %v", h, err)
	}
}

func TestDefragment(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	value := strings.Repeat("x", 4096)
	var rev int64
	for i := range 300 {
		r, err := c.Put(ctx, kv.New().WithKey("defrag/"+strconv.Itoa(i)).WithValue(value))
		if err != nil {
			t.Fatal(err)
		}
		rev = r.Header.Revision
	}
	if _, err := c.Delete(ctx, kv.New().WithKey("defrag/").WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(rev+1).WithPhysical()); err != nil {
		t.Fatal(err)
	}
	before, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	ep := s.Endpoints()[0]
	d, err := maintenance.Defragment(ctx, c, maintenance.New().WithEndpoint(ep).WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d.Endpoint != ep {
		t.Errorf("defragment answered %+v, want it from %s", d, ep)
	}
	after, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if after.DBSize >= before.DBSize {
		t.Errorf("database size %d before defragmenting %d after; want it smaller", before.DBSize, after.DBSize)
	}
}

// Alarms: raised through the raw API (the library offers no way to raise
// one), listed, disarmed one by one and all at once; a NOSPACE alarm makes
// writes fail with conn.ErrNoSpace until it is disarmed.
func TestAlarms(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	st, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	self, fake := st.Header.MemberID, uint64(0x1234)
	raw := pb.NewMaintenanceClient(c.ClientConn())
	for _, a := range []*pb.AlarmRequest{
		{Action: pb.AlarmRequest_ACTIVATE, MemberID: self, Alarm: pb.AlarmType_NOSPACE},
		{Action: pb.AlarmRequest_ACTIVATE, MemberID: fake, Alarm: pb.AlarmType_NOSPACE},
	} {
		if _, err := raw.Alarm(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	list, err := maintenance.Alarms(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	want := []maintenance.Alarm{{MemberID: fake, Type: maintenance.AlarmNoSpace}, {MemberID: self, Type: maintenance.AlarmNoSpace}}
	sortAlarms(list.Alarms)
	sortAlarms(want)
	if d := gocmp.Diff(want, list.Alarms); d != "" {
		t.Fatalf("alarms (-want +got):\n%s", d)
	}
	if _, err := c.Put(ctx, kv.New().WithKey("k").WithValue("v")); !errors.Is(err, conn.ErrNoSpace) {
		t.Errorf("put under NOSPACE: %v, want conn.ErrNoSpace", err)
	}

	one, err := maintenance.Disarm(ctx, c, maintenance.New().WithAlarm(fake, maintenance.AlarmNoSpace))
	if err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff([]maintenance.Alarm{{MemberID: fake, Type: maintenance.AlarmNoSpace}}, one.Alarms); d != "" {
		t.Errorf("disarmed (-want +got):\n%s", d)
	}
	none, err := maintenance.Disarm(ctx, c, maintenance.New().WithAlarm(fake, maintenance.AlarmCorrupt))
	if err != nil || len(none.Alarms) != 0 {
		t.Errorf("disarming an alarm that is not raised: %+v, %v", none, err)
	}
	all, err := maintenance.DisarmAll(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff([]maintenance.Alarm{{MemberID: self, Type: maintenance.AlarmNoSpace}}, all.Alarms); d != "" {
		t.Errorf("disarm all (-want +got):\n%s", d)
	}
	if list, err := maintenance.Alarms(ctx, c, maintenance.New()); err != nil || len(list.Alarms) != 0 {
		t.Errorf("alarms after disarming all: %+v, %v", list, err)
	}
	if _, err := c.Put(ctx, kv.New().WithKey("k").WithValue("v")); err != nil {
		t.Errorf("put after disarming: %v", err)
	}
}

func sortAlarms(a []maintenance.Alarm) {
	slices.SortFunc(a, func(x, y maintenance.Alarm) int { return cmp.Compare(x.MemberID, y.MemberID) })
}

// Downgrades, supported by etcd 3.6 and later: validate, enable, cancel.
func TestDowngrade(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	st, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(st.Version, ".")
	minor, _ := strconv.Atoi(parts[1])
	cluster := parts[0] + "." + parts[1]
	target := parts[0] + "." + strconv.Itoa(minor-1)

	// A member that has just started may not have decided the cluster
	// version yet (it does so shortly after its first leader); until then
	// etcd refuses with ErrClusterVersionUnavailable.
	var v *maintenance.DowngradeResponse
	eventually(t, ctx, "the cluster version is known", func() bool {
		v, err = maintenance.DowngradeValidate(ctx, c, maintenance.New().WithVersion(target))
		if err != nil && !errors.Is(err, conn.ErrClusterVersionUnavailable) {
			t.Fatal(err)
		}
		return err == nil
	})
	if !strings.HasPrefix(v.Version, cluster) {
		t.Errorf("validate: cluster version %q, want %s", v.Version, cluster)
	}
	tooFar := parts[0] + "." + strconv.Itoa(minor-2)
	if _, err := maintenance.DowngradeValidate(ctx, c, maintenance.New().WithVersion(tooFar)); !errors.Is(err, conn.ErrInvalidDowngradeTargetVersion) {
		t.Errorf("validate two minor versions down: %v, want conn.ErrInvalidDowngradeTargetVersion", err)
	}
	if _, err := maintenance.DowngradeEnable(ctx, c, maintenance.New().WithVersion(target)); err != nil {
		t.Fatal(err)
	}
	st, err = maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Downgrade.Enabled || !strings.HasPrefix(st.Downgrade.TargetVersion, target) {
		t.Errorf("status after enable: %+v, want a downgrade to %s", st.Downgrade, target)
	}
	if _, err := maintenance.DowngradeEnable(ctx, c, maintenance.New().WithVersion(target)); !errors.Is(err, conn.ErrDowngradeInProcess) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("enable twice: %v, want conn.ErrDowngradeInProcess", err)
	}
	if _, err := maintenance.DowngradeCancel(ctx, c, maintenance.New()); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "downgrade cancelled", func() bool {
		st, err := maintenance.Status(ctx, c, maintenance.New())
		return err == nil && !st.Downgrade.Enabled
	})
}
