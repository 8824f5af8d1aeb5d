package electiontest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// campaignAsync campaigns in a goroutine and delivers the outcome.
func campaignAsync(ctx context.Context, c *conn.Conn, r election.Request) <-chan campaignResult {
	ch := make(chan campaignResult, 1)
	go func() {
		l, err := election.Campaign(ctx, c, r)
		ch <- campaignResult{l, err, time.Now()}
	}()
	return ch
}

type campaignResult struct {
	l   *election.Leadership
	err error
	at  time.Time
}

func wantLeader(t *testing.T, li election.LeaderInfo, l *election.Leadership, value string) {
	t.Helper()
	k := l.Key()
	if li.Vacant() || string(li.KV.Key) != k.Key || li.KV.CreateRevision != k.Rev || li.Value() != value {
		t.Fatalf("observed %q=%q (create %d), want %q=%q (create %d)", li.KV.Key, li.Value(), li.KV.CreateRevision, k.Key, value, k.Rev)
	}
}

// TestLeaderObservedAndReplaced: A leads; B and C queue; an observer on
// another connection sees A. A's lease is revoked: the observer sees B
// next (C, who queued later, waits), at the revision of the deletion, and
// A's handle reports the loss with that revision.
func TestLeaderObservedAndReplaced(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	ca, _ := open(t, nil)
	cb, _ := open(t, nil)
	cc, _ := open(t, nil)
	co, _ := open(t, nil)
	sa, sb, sc := session(t, ca, 10), session(t, cb, 10), session(t, cc, 10)

	obs := observe(t, clientObserve(co, election.Name(n)))
	if li := obs.next(t); !li.Vacant() {
		t.Fatalf("first observation %+v, want vacant", li)
	}
	a, err := election.Campaign(ctx, ca, election.Name(n).WithSession(sa).WithValue("a"))
	if err != nil {
		t.Fatal(err)
	}
	wantLeader(t, obs.next(t), a, "a")
	if got, want := a.Key().Key, n+"/"+hex(sa.ID()); got != want {
		t.Errorf("key %q, want %q", got, want)
	}
	bch := campaignAsync(ctx, cb, election.Name(n).WithSession(sb).WithValue("b"))
	waitFor(t, "b's key", func() bool { return count(t, ca, n) == 2 })
	cch := campaignAsync(ctx, cc, election.Name(n).WithSession(sc).WithValue("c"))
	waitFor(t, "c's key", func() bool { return count(t, ca, n) == 3 })
	obs.none(t, 200*time.Millisecond) // followers queueing change nothing

	if _, err := lease.Revoke(ctx, co, lease.ID(sa.ID())); err != nil {
		t.Fatal(err)
	}
	<-a.Done()
	var lost *election.LostError
	if !errors.As(a.Err(), &lost) || !errors.Is(a.Err(), election.ErrLost) || lost.Revision == 0 {
		t.Fatalf("a's handle ended with %v, want a *LostError with the deletion's revision", a.Err())
	}
	rb := <-bch
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	lb := obs.next(t)
	wantLeader(t, lb, rb.l, "b")
	if lb.Header.Revision != lost.Revision {
		t.Errorf("b observed as leader at revision %d, a's key deleted at %d", lb.Header.Revision, lost.Revision)
	}
	if rb.l.Rev() <= a.Rev() {
		t.Errorf("fencing token did not grow: a %d, b %d", a.Rev(), rb.l.Rev())
	}
	select {
	case rc := <-cch:
		t.Fatalf("c's campaign returned while b leads: %v", rc.err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := rb.l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rb.l.Err(), election.ErrResigned) {
		t.Errorf("b after Resign: %v", rb.l.Err())
	}
	rc := <-cch
	if rc.err != nil {
		t.Fatal(rc.err)
	}
	wantLeader(t, obs.next(t), rc.l, "c")
	if _, err := rc.l.Proclaim(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	wantLeader(t, obs.next(t), rc.l, "c2")
	li, err := election.Leader(ctx, co, election.Name(n))
	if err != nil || li.Value() != "c2" || li.Rev() != rc.l.Rev() {
		t.Fatalf("Leader: %+v, %v", li, err)
	}
	sc.Close()
	if li := obs.next(t); !li.Vacant() {
		t.Fatalf("after the last candidate left: %+v, want vacant", li)
	}
	if _, err := election.Leader(ctx, co, election.Name(n)); !errors.Is(err, election.ErrVacant) {
		t.Fatalf("Leader of an empty election: %v, want ErrVacant", err)
	}
	<-rc.l.Done()
	obs.stop()
	for _, c := range []*conn.Conn{ca, cb, cc, co} {
		c.Close()
	}
	check()
}

// TestTakeoverAfterExpiry: the leader's process stops (its connection
// closes, nobody revokes its lease); the follower is elected when the lease
// expires, about one TTL later. The order is checked; the time is logged.
func TestTakeoverAfterExpiry(t *testing.T) {
	const ttl = 3
	ctx := testCtx(t)
	n := name(t)
	ca, _ := open(t, nil)
	cb, _ := open(t, nil)
	co, _ := open(t, nil)
	sa, sb := session(t, ca, ttl), session(t, cb, ttl)
	obs := observe(t, clientObserve(co, election.Name(n)))
	obs.next(t) // vacant
	a, err := election.Campaign(ctx, ca, election.Name(n).WithSession(sa).WithValue("a"))
	if err != nil {
		t.Fatal(err)
	}
	wantLeader(t, obs.next(t), a, "a")
	bch := campaignAsync(ctx, cb, election.Name(n).WithSession(sb).WithValue("b"))
	waitFor(t, "b's key", func() bool { return count(t, co, n) == 2 })

	stopped := time.Now()
	ca.Close() // the leader's process is gone: no revoke, the lease expires
	<-a.Done()
	if !errors.Is(a.Err(), election.ErrLost) || !errors.Is(a.Err(), conn.ErrClosed) {
		t.Errorf("a's handle after its connection closed: %v, want ErrLost caused by conn.ErrClosed", a.Err())
	}
	rb := <-bch
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	lb := obs.next(t)
	wantLeader(t, lb, rb.l, "b")
	t.Logf("b elected %v after a's process stopped (TTL %ds)", rb.at.Sub(stopped).Round(time.Millisecond), ttl)
	if _, err := rb.l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCancelledCampaignLeavesNoKey: a campaign that waits behind a leader
// and whose context ends deletes its key.
func TestCancelledCampaignLeavesNoKey(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	ca, _ := open(t, nil)
	cb, _ := open(t, nil)
	sa, sb := session(t, ca, 10), session(t, cb, 10)
	a, err := election.Campaign(ctx, ca, election.Name(n).WithSession(sa))
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = election.Campaign(wctx, cb, election.Name(n).WithSession(sb).WithValue("b"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("campaign behind a leader with a deadline: %v", err)
	}
	onlyLeaderKey(ctx, t, ca, n, a.Key().Key, "after the cancelled campaign")
	// The session's lease is still alive: the key was deleted, not expired.
	if ttlResp, err := lease.TimeToLive(ctx, ca, lease.ID(sb.ID()).WithKeys()); err != nil || len(ttlResp.Keys) != 0 {
		t.Fatalf("b's lease: %+v, %v; want alive with no key", ttlResp, err)
	}
	if _, err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	sa.Close()
	sb.Close()
	ca.Close()
	cb.Close()
	check()
}

// TestLostLeadershipIsFenced: after the lease of a leader is revoked, its
// Proclaim, the server-side Proclaim and a transaction guarded by it are
// refused, with nothing written.
func TestLostLeadershipIsFenced(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	s := session(t, c, 10)
	l, err := election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	guarded := op.If(l.Guard()).Then(op.Put(kv.New().WithKey(n + "-data").WithValue("x")))
	if resp, err := c.Txn(ctx, guarded); err != nil || !resp.Succeeded {
		t.Fatalf("guarded write while leading: %+v, %v", resp, err)
	}
	if _, err := lease.Revoke(ctx, c, lease.ID(s.ID())); err != nil {
		t.Fatal(err)
	}
	<-l.Done()
	_, err = l.Proclaim(ctx, "w")
	if !errors.Is(err, election.ErrLost) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("Proclaim after the loss: %v, want ErrLost, outcome known", err)
	}
	_, err = election.ServerProclaim(ctx, c, election.Of(l.Key()).WithValue("w"))
	if !errors.Is(err, election.ErrLost) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("ServerProclaim after the loss: %v, want ErrLost, outcome known", err)
	}
	t.Logf("server-side proclaim refused: %v", err)
	if resp, err := c.Txn(ctx, guarded); err != nil || resp.Succeeded {
		t.Fatalf("guarded write after the loss: %+v, %v; want refused", resp, err)
	}
	if r, err := election.Resign(ctx, c, election.Of(l.Key())); err != nil || r.Resigned {
		t.Fatalf("Resign of a lost leadership: %+v, %v; want no error, not resigned", r, err)
	}
	if g, err := c.Get(ctx, kv.New().WithKey(n+"/").WithPrefix()); err != nil || len(g.KVs) != 0 {
		t.Fatalf("keys: %v, %v; want none", keys(g), err)
	}
}

// TestByName runs the calls by connection name through registry.Call, and
// checks that invalid requests send nothing.
func TestByName(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, cnt := open(t, nil)
	reg := registry.New()
	if _, err := reg.Open(ctx, "main", conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	defer reg.CloseAll()
	s := session(t, c, 10)
	base := election.On("main")
	l, err := registry.CallIn(ctx, reg, election.Campaign, base.WithName(n).WithSession(s).WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	li, err := registry.CallIn(ctx, reg, election.Leader, base.WithName(n))
	if err != nil || li.Rev() != l.Rev() {
		t.Fatalf("Leader by name: %+v, %v", li, err)
	}
	if _, err := registry.CallIn(ctx, reg, election.Proclaim, election.Of(l.Key()).WithValue("w").On("main")); err != nil {
		t.Fatal(err)
	}
	sl, err := registry.CallIn(ctx, reg, election.ServerLeader, base.WithName(n))
	if err != nil || sl.Value() != "w" || sl.Rev() != l.Rev() {
		t.Fatalf("ServerLeader by name: %+v, %v", sl, err)
	}
	if r, err := registry.CallIn(ctx, reg, election.Resign, election.Of(l.Key()).On("main")); err != nil || !r.Resigned {
		t.Fatalf("Resign by name: %+v, %v", r, err)
	}
	<-l.Done()
	if _, err := registry.Call(ctx, election.Leader, election.Name(n)); err == nil {
		t.Fatal("a request without a connection name ran")
	}

	before := cnt.calls.Load()
	for _, err := range []error{
		func() error { _, err := election.Campaign(ctx, c, election.Name("").WithSession(s)); return err }(),
		func() error { _, err := election.Leader(ctx, c, election.New()); return err }(),
		func() error { _, err := election.ServerCampaign(ctx, c, election.Name(n).WithLease(-1)); return err }(),
		func() error {
			_, err := election.Proclaim(ctx, c, election.Of(election.LeaderKey{Name: n, Key: n + "/x", Rev: 1, Lease: 1}))
			return err
		}(),
	} {
		if !errors.Is(err, kv.ErrInvalidRequest) {
			t.Errorf("invalid request: %v", err)
		}
	}
	if got := cnt.calls.Load() - before; got != 0 {
		t.Errorf("%d RPCs for invalid requests, want 0", got)
	}
}

func count(t *testing.T, c *conn.Conn, n string) int64 {
	t.Helper()
	g, err := c.Get(context.Background(), kv.New().WithKey(n+"/").WithPrefix().WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return g.Count
}

// onlyLeaderKey fails t unless the election n holds one key, the leader's
// (leader), read on c: what a campaign that gave up must leave (when is
// said in the failure).
func onlyLeaderKey(ctx context.Context, t *testing.T, c *conn.Conn, n, leader, when string) {
	t.Helper()
	g, err := c.Get(ctx, kv.New().WithKey(n+"/").WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.KVs) != 1 || string(g.KVs[0].Key) != leader {
		t.Fatalf("keys %s: %v, want only the leader's %q", when, keys(g), leader)
	}
}

func keys(g *conn.GetResponse) []string {
	if g == nil {
		return nil
	}
	out := make([]string, len(g.KVs))
	for i, item := range g.KVs {
		out[i] = string(item.Key)
	}
	return out
}

func hex(id int64) string {
	const digits = "0123456789abcdef"
	if id == 0 {
		return "0"
	}
	var b []byte
	for ; id > 0; id >>= 4 {
		b = append([]byte{digits[id&15]}, b...)
	}
	return string(b)
}

// TestCancelledAnywhere cancels campaigns behind a leader after growing
// delays, so that the cancellation falls before the create, while it is
// in flight (its outcome unknown: the key is deleted if it carries the
// session's lease), and while the campaign waits: no key is ever left
// behind. The in-flight case is hit only by chance here;
// TestUnknownCreateLeavesNoKey forces it.
func TestCancelledAnywhere(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	ca, _ := open(t, nil)
	cb, _ := open(t, nil)
	sa, sb := session(t, ca, 10), session(t, cb, 10)
	a, err := election.Campaign(ctx, ca, election.Name(n).WithSession(sa))
	if err != nil {
		t.Fatal(err)
	}
	unknown := 0
	for i := range 40 {
		wctx, cancel := context.WithTimeout(ctx, time.Duration(i)*250*time.Microsecond)
		_, err := election.Campaign(wctx, cb, election.Name(n).WithSession(sb).WithValue("b"))
		cancel()
		if err == nil {
			t.Fatal("a campaign behind a leader won")
		}
		if errors.Is(err, conn.ErrUnknownOutcome) {
			unknown++
		}
		onlyLeaderKey(ctx, t, ca, n, a.Key().Key, fmt.Sprintf("after a campaign cancelled after %v", time.Duration(i)*250*time.Microsecond))
	}
	t.Logf("%d of 40 cancelled campaigns had a create of unknown outcome", unknown)
	if _, err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRecoveringSession: a session with recovery replaces a revoked lease;
// the leadership of the old lease is lost all the same, and a new campaign
// leads under the new lease, with a new key and a higher token.
func TestRecoveringSession(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	s, err := lease.NewSession(ctx, c, lease.TTL(5).WithRecovery())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	old := s.ID()
	if _, err := lease.Revoke(ctx, c, lease.ID(old)); err != nil {
		t.Fatal(err)
	}
	<-l.Done()
	if !errors.Is(l.Err(), election.ErrLost) {
		t.Fatalf("leadership of a revoked lease: %v", l.Err())
	}
	waitFor(t, "the session's new lease", func() bool { id := s.ID(); return id != 0 && id != old })
	l2, err := election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	if l2.Key().Key == l.Key().Key || l2.Key().Lease != s.ID() || l2.Rev() <= l.Rev() {
		t.Fatalf("new leadership %+v after %+v", l2.Key(), l.Key())
	}
	if _, err := l2.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}
