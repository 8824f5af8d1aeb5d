package healthtest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/watch"
)

// On three processes, a connection whose only call is a watch has it on a
// member whose two peers are then killed: the member loses its leader, and
// the members still in rotation (never refused anything) are down. The
// connection takes the member out of rotation, but it must not close its
// network connections to it: there is nowhere else for the watch to go,
// and the cluster may come back. The watch stream ends as etcd ends it,
// for lack of a leader, not because the connection closed it.
func TestQuorumLostKeepsConns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	ctx, cancel := context.WithTimeout(testCtx(t), 40*time.Second)
	defer cancel()
	eps := cl.Endpoints()
	ends := &streamEnds{}
	c := open(t, conn.Config{Endpoints: eps, ProbeInterval: 250 * time.Millisecond, Logger: slog.New(ends)})
	admin := open(t, conn.Config{Endpoints: eps})
	prefix := etcdtest.KeyPrefix(t) + "/"

	w, err := watch.Open(ctx, c, watch.New().WithKey(prefix).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	first, err := admin.Put(ctx, kv.New().WithKey(prefix+"first").WithValue("x"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Next(ctx)
	if err != nil || len(r.Events) != 1 || r.Revision() != first.Header.Revision {
		t.Fatalf("first response %+v, %v; want the put at %d", r, err, first.Header.Revision)
	}
	// The watch's member is the one whose Status names its member ID.
	victim := -1
	for i, m := range cl.Members {
		st, err := maintenance.Status(ctx, admin, maintenance.New().WithEndpoint(m.Endpoint()))
		if err != nil {
			t.Fatal(err)
		}
		if st.Header.MemberID == r.Header.MemberID {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatalf("no member has the watch's member ID %x", r.Header.MemberID)
	}
	vm := cl.Members[victim]
	killAt := time.Now()
	for i, m := range cl.Members {
		if i != victim {
			m.Kill()
		}
	}
	eventually(t, ctx, "the member left alone is out of rotation", func() bool {
		st, _ := statusOf(c, vm.Endpoint())
		return st.OutOfRotation
	})
	eventually(t, ctx, "the watch stream on the member left alone ended", func() bool {
		return len(ends.after(killAt)) > 0
	})
	ended := ends.after(killAt)[0]
	t.Logf("peers killed at 0: the watch stream ended %v later (%v)", ended.at.Sub(killAt).Round(time.Millisecond), ended.err)
	if !errors.Is(ended.err, conn.ErrNoLeader) {
		t.Errorf("the watch stream on the member left alone ended with %v, want etcd's ErrNoLeader: the connection closed it with nowhere else to go", ended.err)
	}
}
