package healthtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

// A CORRUPT alarm, raised the way etcd's corruption check raises it (an
// Alarm ACTIVATE request through raft; getcd's maintenance package offers no
// way to raise one, so the test sends etcd's message itself), makes every
// member refuse writes with ErrCorrupt after committing them. The
// connection takes the member out of rotation, probes keep it out while
// the alarm is raised, calls still go (it is the only member), a refused
// write is reported as not applied (and was not), and once the alarm is
// disarmed the member returns.
func TestCorruptAlarm(t *testing.T) {
	s := etcdtest.StartProcess(t, etcdBin)
	ep := s.Endpoints()[0]
	c := open(t, conn.Config{Endpoints: s.Endpoints(), ProbeInterval: 200 * time.Millisecond})
	ctx := testCtx(t)
	key := etcdtest.KeyPrefix(t) + "/k"
	if _, err := c.Put(ctx, kv.New().WithKey(key).WithValue("before")); err != nil {
		t.Fatal(err)
	}
	st, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewMaintenanceClient(c.ClientConn()).Alarm(ctx, &pb.AlarmRequest{
		Action: pb.AlarmRequest_ACTIVATE, MemberID: st.Header.MemberID, Alarm: pb.AlarmType_CORRUPT,
	}); err != nil {
		t.Fatalf("raising the CORRUPT alarm: %v", err)
	}

	_, err = c.Put(ctx, kv.New().WithKey(key).WithValue("refused"))
	if !errors.Is(err, conn.ErrCorrupt) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("put under the CORRUPT alarm: %v, want conn.ErrCorrupt, not an unknown outcome", err)
	}
	ps, _ := statusOf(c, ep)
	if !ps.OutOfRotation || !errors.Is(ps.OutReason, conn.ErrCorrupt) || ps.OutSince.IsZero() {
		t.Fatalf("after ErrCorrupt: %+v, want out of rotation for ErrCorrupt", ps)
	}
	// Probes see the alarm and keep it out.
	eventually(t, ctx, "a probe reports the alarm", func() bool {
		ps, _ = statusOf(c, ep)
		return ps.OutReason != nil && strings.Contains(ps.OutReason.Error(), "alarm CORRUPT")
	})
	if !ps.OutOfRotation || !errors.Is(ps.OutReason, conn.ErrCorrupt) {
		t.Fatalf("after probes: %+v", ps)
	}
	// Every member is out: calls still go. etcd serves reads from its store
	// under the alarm (only what goes through its applier is refused).
	if g, err := c.Get(ctx, kv.New().WithKey(key)); err != nil || len(g.KVs) != 1 || string(g.KVs[0].Value) != "before" {
		t.Fatalf("get while the only member is out of rotation: %+v, %v; want the value from before the alarm", g, err)
	}
	al, err := maintenance.Alarms(ctx, c, maintenance.New())
	if err != nil || len(al.Alarms) != 1 || al.Alarms[0].Type != maintenance.AlarmCorrupt {
		t.Fatalf("alarm list: %+v, %v; want the one CORRUPT alarm", al, err)
	}

	if _, err := maintenance.DisarmAll(ctx, c, maintenance.New()); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the member returns to rotation", func() bool {
		ps, _ = statusOf(c, ep)
		return !ps.OutOfRotation
	})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	g, err := c.Get(pctx, kv.New().WithKey(key))
	if err != nil || len(g.KVs) != 1 || string(g.KVs[0].Value) != "before" {
		t.Fatalf("after the alarm: %+v, %v; want the value from before it (the refused put not applied)", g, err)
	}
	if _, err := c.Put(pctx, kv.New().WithKey(key).WithValue("after")); err != nil {
		t.Errorf("put after the alarm was disarmed: %v", err)
	}
}
