package admintest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
)

// On a three-member cluster of processes: each member answers for itself
// through WithEndpoint; a learner is added, started, promoted, made leader
// and removed again; the hashes of all members agree.
func TestClusterMembership(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	c := open(t, conn.Config{Endpoints: cl.Endpoints()})
	ctx := testCtx(t)

	list, err := membership.List(ctx, c, membership.New().WithLinearizable())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Members) != 3 {
		t.Fatalf("members: %+v", list.Members)
	}
	idOf := map[string]uint64{} // client endpoint -> member ID
	for _, m := range list.Members {
		for _, u := range m.ClientURLs {
			idOf[strings.TrimPrefix(u, "http://")] = m.ID
		}
	}
	var leader uint64
	for _, ep := range cl.Endpoints() {
		st, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(ep))
		if err != nil {
			t.Fatal(err)
		}
		if st.Header.MemberID != idOf[ep] || st.Endpoint != ep {
			t.Errorf("status WithEndpoint(%s) answered by %x, want %x", ep, st.Header.MemberID, idOf[ep])
		}
		leader = st.Leader
	}

	// Add a learner and start its process.
	nm, err := cl.NewMember("m3")
	if err != nil {
		t.Fatal(err)
	}
	// etcd refuses changes until its members have been connected for a
	// few seconds (conn.ErrUnhealthy, a definite refusal).
	var added *membership.AddResponse
	eventually(t, ctx, "the learner is added", func() bool {
		added, err = membership.Add(ctx, c, membership.New().WithPeerURLs(nm.PeerURL()).AsLearner())
		if err != nil && (!errors.Is(err, conn.ErrUnhealthy) || errors.Is(err, conn.ErrUnknownOutcome)) {
			t.Fatalf("add: %v", err)
		}
		return err == nil
	})
	if !added.Member.IsLearner || added.Member.ID == 0 || added.Member.Started() || len(added.Members) != 4 {
		t.Fatalf("added %+v among %+v", added.Member, added.Members)
	}
	var initial []string
	for _, m := range added.Members {
		name := m.Name
		if m.ID == added.Member.ID {
			name = nm.Name
		}
		initial = append(initial, name+"="+m.PeerURLs[0])
	}
	if err := cl.Join(nm, strings.Join(initial, ",")); err != nil {
		t.Fatal(err)
	}
	st, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint(nm.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	if st.Header.MemberID != added.Member.ID || !st.IsLearner {
		t.Errorf("the new member's status: %+v, want learner %x", st, added.Member.ID)
	}

	// Promote it once it has caught up.
	var promoted *membership.MembersResponse
	eventually(t, ctx, "the learner is promoted", func() bool {
		promoted, err = membership.Promote(ctx, c, membership.New().WithID(added.Member.ID))
		if err != nil && !errors.Is(err, conn.ErrLearnerNotReady) {
			t.Fatalf("promote: %v", err)
		}
		return err == nil
	})
	for _, m := range promoted.Members {
		if m.IsLearner {
			t.Errorf("after promotion %+v is a learner", m)
		}
	}
	if _, err := membership.Promote(ctx, c, membership.New().WithID(added.Member.ID)); !errors.Is(err, conn.ErrMemberNotLearner) {
		t.Errorf("promote twice: %v, want conn.ErrMemberNotLearner", err)
	}

	// Hand it the leadership, found through the members, and back.
	if _, err := c.Put(ctx, kv.New().WithKey("cluster/k").WithValue("v")); err != nil {
		t.Fatal(err)
	}
	moveLeader(t, ctx, c, added.Member.ID)
	moveLeader(t, ctx, c, leader)

	// Every member hashes the same history.
	st, err = maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	rev := st.Header.Revision
	eps := append(cl.Endpoints()[:3:3], nm.Endpoint())
	var hash uint32
	for i, ep := range eps {
		var h *maintenance.HashKVResponse
		eventually(t, ctx, "member "+ep+" reaches revision", func() bool {
			h, err = maintenance.HashKV(ctx, c, maintenance.New().WithEndpoint(ep).WithRev(rev))
			return err == nil
		})
		if i > 0 && h.Hash != hash {
			t.Errorf("member %s hashes %x at %d, member %s %x", ep, h.Hash, rev, eps[0], hash)
		}
		hash = h.Hash
	}

	// Defragment one follower, chosen by endpoint.
	if _, err := maintenance.Defragment(ctx, c, maintenance.New().WithEndpoint(nm.Endpoint())); err != nil {
		t.Errorf("defragment %s: %v", nm.Endpoint(), err)
	}

	// Remove it again.
	removed, err := membership.Remove(ctx, c, membership.New().WithID(added.Member.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Members) != 3 {
		t.Errorf("after removal: %+v", removed.Members)
	}
	for _, m := range removed.Members {
		if m.ID == added.Member.ID {
			t.Errorf("the removed member is still listed: %+v", m)
		}
	}
	if _, err := membership.Remove(ctx, c, membership.New().WithID(added.Member.ID)); !errors.Is(err, conn.ErrMemberNotFound) {
		t.Errorf("remove twice: %v, want conn.ErrMemberNotFound", err)
	}
	if _, err := maintenance.MoveLeader(ctx, c, maintenance.New().WithTarget(added.Member.ID)); !errors.Is(err, conn.ErrBadLeaderTransferee) {
		t.Errorf("move the leadership to a removed member: %v, want conn.ErrBadLeaderTransferee", err)
	}
}

// moveLeader moves the leadership to id and waits until a member sees it.
func moveLeader(t *testing.T, ctx context.Context, c *conn.Conn, id uint64) {
	t.Helper()
	r, err := maintenance.MoveLeader(ctx, c, maintenance.New().WithTarget(id).WithTimeout(20*time.Second))
	if err != nil {
		t.Fatalf("move leader to %x: %v", id, err)
	}
	if r.Endpoint == "" {
		t.Errorf("move leader names no endpoint")
	}
	eventually(t, ctx, "the new leader is known", func() bool {
		st, err := maintenance.Status(ctx, c, maintenance.New())
		return err == nil && st.Leader == id
	})
}
