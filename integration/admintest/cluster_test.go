package admintest

import (
	"context"
	"errors"
	"slices"
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
	if err := cl.Join(nm, initialCluster(added, nm.Name)); err != nil {
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

// On a three-member cluster of processes: a voting member (not a learner)
// is added, started and joins, takes part in the cluster as a voter (it
// can be made leader, which a learner cannot), and is removed again.
// Beside it, Sync on a connection that starts from one endpoint installs
// the client URLs of the started voting members at each step: the three,
// still three while the new member has not started, four once it has, and
// three again after its removal.
func TestClusterVotingMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	three := cl.Endpoints()
	admin := open(t, conn.Config{Endpoints: three})
	synced := open(t, conn.Config{Endpoints: three[:1]})
	ctx := testCtx(t)

	// sync runs Sync and checks the endpoints it leaves: those that were
	// there keep their order, new ones follow.
	syncTo := func(step string, want []string) {
		t.Helper()
		if err := synced.Sync(ctx); err != nil {
			t.Fatalf("%s: Sync: %v", step, err)
		}
		if got := synced.Endpoints(); !slices.Equal(got, want) {
			t.Fatalf("%s: endpoints after Sync %v, want %v", step, got, want)
		}
	}
	list, err := membership.List(ctx, admin, membership.New().WithLinearizable())
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint it had first, then the others in the member list's order.
	synced3 := three[:1:1]
	for _, m := range list.Members {
		for _, u := range m.ClientURLs {
			if ep := strings.TrimPrefix(u, "http://"); ep != three[0] {
				synced3 = append(synced3, ep)
			}
		}
	}
	if len(synced3) != 3 {
		t.Fatalf("the members advertise %v, want three client URLs", list.Members)
	}
	syncTo("three members", synced3)
	st, err := maintenance.Status(ctx, admin, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	leader := st.Leader

	// Add a voting member. Four members, three started: the quorum of
	// three is still there, so etcd accepts it once its members have been
	// connected long enough (until then conn.ErrUnhealthy, a refusal).
	nm, err := cl.NewMember("m3")
	if err != nil {
		t.Fatal(err)
	}
	var added *membership.AddResponse
	eventually(t, ctx, "the member is added", func() bool {
		added, err = membership.Add(ctx, admin, membership.New().WithPeerURLs(nm.PeerURL()))
		if err != nil && (!errors.Is(err, conn.ErrUnhealthy) || errors.Is(err, conn.ErrUnknownOutcome)) {
			t.Fatalf("add: %v", err)
		}
		return err == nil
	})
	if added.Member.IsLearner || added.Member.ID == 0 || added.Member.Started() ||
		!slices.Equal(added.Member.PeerURLs, []string{nm.PeerURL()}) || len(added.Members) != 4 {
		t.Fatalf("added %+v among %+v", added.Member, added.Members)
	}
	for _, m := range list.Members {
		if !slices.ContainsFunc(added.Members, func(a membership.Member) bool { return a.ID == m.ID }) {
			t.Errorf("member %x is missing after the addition: %+v", m.ID, added.Members)
		}
	}
	// Added but not started: it has no client URL, and Sync leaves it out.
	syncTo("added, not started", synced3)

	if err := cl.Join(nm, initialCluster(added, nm.Name)); err != nil {
		t.Fatal(err)
	}
	st, err = maintenance.Status(ctx, admin, maintenance.New().WithEndpoint(nm.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	if st.Header.MemberID != added.Member.ID || st.IsLearner {
		t.Errorf("the new member's status: %+v, want voting member %x", st, added.Member.ID)
	}
	eventually(t, ctx, "the new member is listed as started", func() bool {
		l, err := membership.List(ctx, admin, membership.New().WithLinearizable())
		if err != nil {
			return false
		}
		i := slices.IndexFunc(l.Members, func(m membership.Member) bool { return m.ID == added.Member.ID })
		return i >= 0 && l.Members[i].Started() && !l.Members[i].IsLearner &&
			slices.Equal(l.Members[i].ClientURLs, []string{"http://" + nm.Endpoint()})
	})
	syncTo("four members", append(synced3[:3:3], nm.Endpoint()))

	// A voter: it takes the leadership and hands it back.
	if _, err := admin.Put(ctx, kv.New().WithKey(prefix(t)+"k").WithValue("v")); err != nil {
		t.Fatal(err)
	}
	moveLeader(t, ctx, admin, added.Member.ID)
	moveLeader(t, ctx, admin, leader)
	// The synced connection serves through the new member alone when the
	// client ports of the other three are cut; the connection that was
	// never synced (the three) reaches nothing then.
	for _, m := range cl.Members[:3] {
		m.ClientProxy().Cut()
	}
	start := time.Now()
	g, err := synced.Get(ctx, kv.New().WithKey(prefix(t)+"k"))
	if err != nil || g.Count != 1 || g.Header.MemberID != added.Member.ID {
		t.Errorf("get through the synced connection, the others' client ports cut: %+v, %v; want it answered by %x", g, err, added.Member.ID)
	}
	t.Logf("get through the new member alone: %v", time.Since(start))
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	if _, err := admin.Get(short, kv.New().WithKey(prefix(t)+"k")); err == nil {
		t.Errorf("the connection to the three cut members still reads")
	}
	cancel()
	for _, m := range cl.Members[:3] {
		m.ClientProxy().Heal()
	}
	eventually(t, ctx, "the connection to the three reads again after the heal", func() bool {
		_, err := admin.Get(ctx, kv.New().WithKey(prefix(t)+"k"))
		return err == nil
	})

	removed, err := membership.Remove(ctx, admin, membership.New().WithID(added.Member.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Members) != 3 || slices.ContainsFunc(removed.Members, func(m membership.Member) bool { return m.ID == added.Member.ID }) {
		t.Errorf("after removal: %+v", removed.Members)
	}
	// The three that remain have a quorum without it.
	if _, err := admin.Put(ctx, kv.New().WithKey(prefix(t)+"k").WithValue("after")); err != nil {
		t.Errorf("write after the removal: %v", err)
	}
	syncTo("removed", synced3)
	if _, err := membership.Remove(ctx, admin, membership.New().WithID(added.Member.ID)); !errors.Is(err, conn.ErrMemberNotFound) {
		t.Errorf("remove twice: %v, want conn.ErrMemberNotFound", err)
	}
}

// Sync refuses a member list with no member the connection could use and
// leaves the endpoints as they were: here the one member advertises only
// an https:// client URL (as behind a TLS-terminating proxy) while the
// connection is plain, on the port the server really listens on.
func TestSyncNoUsableMember(t *testing.T) {
	const advertised = "https://etcd.example:2379"
	s := etcdtest.Start(t, etcdtest.WithAdvertiseClientURLs(advertised))
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	l, err := membership.List(ctx, c, membership.New().WithLinearizable())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Members) != 1 || !slices.Equal(l.Members[0].ClientURLs, []string{advertised}) {
		t.Fatalf("members %+v, want one advertising %s", l.Members, advertised)
	}
	err = c.Sync(ctx)
	var ce *conn.Error
	if !errors.Is(err, conn.ErrNoUsableMember) || !errors.As(err, &ce) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("Sync: %v, want conn.ErrNoUsableMember as a *conn.Error", err)
	}
	t.Logf("Sync: %v", err)
	if got := c.Endpoints(); !slices.Equal(got, s.Endpoints()) {
		t.Errorf("endpoints after the refused Sync: %v, want %v", got, s.Endpoints())
	}
	k := prefix(t) + "k"
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("v")); err != nil {
		t.Errorf("put after the refused Sync: %v", err)
	}
}

// initialCluster is the --initial-cluster a member just added must start
// with: every member's name and first peer URL, the new one (which has no
// name yet) under name.
func initialCluster(added *membership.AddResponse, name string) string {
	var initial []string
	for _, m := range added.Members {
		n := m.Name
		if m.ID == added.Member.ID {
			n = name
		}
		initial = append(initial, n+"="+m.PeerURLs[0])
	}
	return strings.Join(initial, ",")
}
