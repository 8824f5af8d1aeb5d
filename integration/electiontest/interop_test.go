package electiontest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/lease"
)

// TestOfficialLeaderObserved: the official client's concurrency.Election
// leads; getcd's Observe and Leader see it; a getcd candidate queues behind
// it and takes over when it resigns.
func TestOfficialLeaderObserved(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	cli := official(t)
	osess := officialSession(t, cli, 10)
	oe := concurrency.NewElection(osess, n)
	c, _ := open(t, nil)
	obs := observe(t, clientObserve(c, election.Name(n)))
	obs.next(t) // vacant
	if err := oe.Campaign(ctx, "official"); err != nil {
		t.Fatal(err)
	}
	li := obs.next(t)
	if string(li.KV.Key) != oe.Key() || li.Rev() != oe.Rev() || li.Value() != "official" {
		t.Fatalf("getcd observed %q=%q (create %d), official leader is %q (create %d)", li.KV.Key, li.Value(), li.Rev(), oe.Key(), oe.Rev())
	}
	if got, err := election.Leader(ctx, c, election.Name(n)); err != nil || string(got.KV.Key) != oe.Key() {
		t.Fatalf("Leader: %+v, %v", got, err)
	}
	s := session(t, c, 10)
	gch := campaignAsync(ctx, c, election.Name(n).WithSession(s).WithValue("getcd"))
	waitFor(t, "getcd's key", func() bool { return count(t, c, n) == 2 })
	select {
	case r := <-gch:
		t.Fatalf("getcd's campaign returned while the official client leads: %v", r.err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := oe.Proclaim(ctx, "official-2"); err != nil {
		t.Fatal(err)
	}
	if li := obs.next(t); li.Value() != "official-2" {
		t.Fatalf("observed %q after the official client proclaimed", li.Value())
	}
	if err := oe.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-gch
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantLeader(t, obs.next(t), r.l, "getcd")
	if _, err := r.l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOfficialObservesGetcd: getcd leads; the official client's Observe and
// Leader see it; an official candidate queues behind it and takes over
// when getcd resigns.
func TestOfficialObservesGetcd(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	s := session(t, c, 10)
	l, err := election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("getcd"))
	if err != nil {
		t.Fatal(err)
	}
	cli := official(t)
	oe := concurrency.NewElection(officialSession(t, cli, 10), n)
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	och := oe.Observe(octx)
	first := <-och
	if len(first.Kvs) != 1 || string(first.Kvs[0].Key) != l.Key().Key || first.Kvs[0].CreateRevision != l.Rev() || string(first.Kvs[0].Value) != "getcd" {
		t.Fatalf("official Observe saw %v, want getcd's %q", first.Kvs, l.Key().Key)
	}
	if resp, err := oe.Leader(ctx); err != nil || string(resp.Kvs[0].Key) != l.Key().Key {
		t.Fatalf("official Leader: %v, %v", resp, err)
	}
	if _, err := l.Proclaim(ctx, "getcd-2"); err != nil {
		t.Fatal(err)
	}
	if next := <-och; string(next.Kvs[0].Value) != "getcd-2" {
		t.Fatalf("official Observe after getcd proclaimed: %q", next.Kvs[0].Value)
	}
	done := make(chan error, 1)
	go func() { done <- oe.Campaign(ctx, "official") }()
	waitFor(t, "the official candidate's key", func() bool { return count(t, c, n) == 2 })
	select {
	case err := <-done:
		t.Fatalf("the official campaign returned while getcd leads: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if next := <-och; string(next.Kvs[0].Key) != oe.Key() {
		t.Fatalf("official Observe after the hand-over: %s, want %s", next.Kvs[0].Key, oe.Key())
	}
	li, err := election.Leader(ctx, c, election.Name(n))
	if err != nil || string(li.KV.Key) != oe.Key() || li.Rev() != oe.Rev() {
		t.Fatalf("getcd Leader after the hand-over: %+v, %v", li, err)
	}
	if err := oe.Resign(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServerSideAndClientSide: etcd's server-side Election service and
// getcd's client-side recipe campaign in one election and hand over to
// each other; both observers see both.
func TestServerSideAndClientSide(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	co, _ := open(t, nil)
	ss := session(t, c, 10) // keeps the server-side candidate's lease alive
	cs := session(t, c, 10)
	cobs := observe(t, clientObserve(co, election.Name(n)))
	sobs := observe(t, serverObserve(co, election.Name(n)))
	cobs.next(t) // vacant

	sc, err := election.ServerCampaign(ctx, c, election.Name(n).WithSession(ss).WithValue("server"))
	if err != nil {
		t.Fatal(err)
	}
	k := sc.Leader
	if k.Name != n || k.Key != n+"/"+hex(ss.ID()) || k.Lease != ss.ID() || k.Rev <= 0 {
		t.Fatalf("server campaign's leader key %+v", k)
	}
	for _, o := range []*observed{cobs, sobs} {
		if li := o.next(t); string(li.KV.Key) != k.Key || li.Rev() != k.Rev || li.Value() != "server" {
			t.Fatalf("observed %q=%q (create %d), want the server-side candidate", li.KV.Key, li.Value(), li.Rev())
		}
	}
	if li, err := election.Leader(ctx, co, election.Name(n)); err != nil || li.Rev() != k.Rev {
		t.Fatalf("client-side Leader: %+v, %v", li, err)
	}
	ch := campaignAsync(ctx, c, election.Name(n).WithSession(cs).WithValue("client"))
	waitFor(t, "the client-side key", func() bool { return count(t, c, n) == 2 })
	if _, err := election.ServerProclaim(ctx, c, election.Of(k).WithValue("server-2")); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*observed{cobs, sobs} {
		if li := o.next(t); li.Value() != "server-2" {
			t.Fatalf("observed %q after the server-side proclaim", li.Value())
		}
	}
	// A handle on the server-side leadership reports its end.
	tracked, err := election.Track(ctx, co, election.Of(k))
	if err != nil {
		t.Fatal(err)
	}
	if tracked.Value() != "server-2" || tracked.Rev() != k.Rev {
		t.Fatalf("tracked %q (create %d)", tracked.Value(), tracked.Rev())
	}
	if _, err := election.ServerResign(ctx, c, election.Of(k)); err != nil {
		t.Fatal(err)
	}
	<-tracked.Done()
	if !errors.Is(tracked.Err(), election.ErrLost) {
		t.Fatalf("tracked handle after the server-side resign: %v", tracked.Err())
	}
	if _, err := election.Track(ctx, co, election.Of(k)); !errors.Is(err, election.ErrLost) {
		t.Fatalf("Track of a resigned leadership: %v, want ErrLost", err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantLeader(t, cobs.next(t), r.l, "client")
	wantLeader(t, sobs.next(t), r.l, "client")
	if li, err := election.ServerLeader(ctx, co, election.Name(n)); err != nil || li.Rev() != r.l.Rev() {
		t.Fatalf("ServerLeader: %+v, %v", li, err)
	}

	// Now the other way round: the server-side candidate waits behind the
	// client-side leader. With a deadline it gives up and leaves no key.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = election.ServerCampaign(wctx, c, election.Name(n).WithSession(ss).WithValue("server"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("server-side campaign behind a leader with a deadline: %v", err)
	}
	if got := count(t, c, n); got != 1 {
		t.Fatalf("%d keys after the server-side campaign gave up, want the leader's only", got)
	}
	sch := make(chan error, 1)
	var sc2 *election.CampaignResponse
	go func() {
		var err error
		sc2, err = election.ServerCampaign(ctx, c, election.Name(n).WithSession(ss).WithValue("server-again"))
		sch <- err
	}()
	waitFor(t, "the server-side key", func() bool { return count(t, c, n) == 2 })
	if _, err := r.l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-sch; err != nil {
		t.Fatal(err)
	}
	for _, o := range []*observed{cobs, sobs} {
		if li := o.next(t); li.Rev() != sc2.Leader.Rev || li.Value() != "server-again" {
			t.Fatalf("observed %q (create %d), want the server-side candidate (create %d)", li.Value(), li.Rev(), sc2.Leader.Rev)
		}
	}
	if _, err := election.ServerResign(ctx, c, election.Of(sc2.Leader)); err != nil {
		t.Fatal(err)
	}
	if li := cobs.next(t); !li.Vacant() {
		t.Fatalf("client-side observer after the last resign: %+v, want vacant", li)
	}
	if _, err := election.ServerLeader(ctx, co, election.Name(n)); !errors.Is(err, election.ErrVacant) {
		t.Fatalf("ServerLeader of an empty election: %v, want ErrVacant", err)
	}
	cobs.stop()
	sobs.stop()
	ss.Close()
	cs.Close()
	c.Close()
	co.Close()
	check()
}

// TestServerCampaignUnknownLease: a server-side campaign with a lease the
// server does not have is refused, outcome known, nothing written.
func TestServerCampaignUnknownLease(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	g, err := lease.Grant(ctx, c, lease.TTL(5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.Revoke(ctx, c, lease.ID(g.ID)); err != nil {
		t.Fatal(err)
	}
	_, err = election.ServerCampaign(ctx, c, election.Name(n).WithLease(g.ID))
	if err == nil {
		t.Fatal("campaign with a revoked lease succeeded")
	}
	t.Logf("server-side campaign with a revoked lease: %v", err)
	if g, err := c.Get(ctx, kv.New().WithKey(n+"/").WithPrefix()); err != nil || len(g.KVs) != 0 {
		t.Fatalf("keys: %v, %v; want none", keys(g), err)
	}
}

// TestCampaignOutlastsRequestTimeout: a connection's RequestTimeout bounds
// each call, not a campaign's wait: both kinds of campaign wait behind a
// leader for longer than it and then lead.
func TestCampaignOutlastsRequestTimeout(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	short, err := conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(), RequestTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	s := session(t, c, 10)
	for _, kind := range []string{"client-side", "server-side"} {
		l, err := election.Campaign(ctx, c, election.Name(n).WithSession(s))
		if err != nil {
			t.Fatal(err)
		}
		s2 := session(t, c, 10)
		done := make(chan error, 1)
		go func() {
			if kind == "client-side" {
				l2, err := election.Campaign(ctx, short, election.Name(n).WithSession(s2))
				if err == nil {
					_, err = l2.Resign(ctx)
				}
				done <- err
				return
			}
			r, err := election.ServerCampaign(ctx, short, election.Name(n).WithSession(s2))
			if err == nil {
				_, err = election.ServerResign(ctx, short, election.Of(r.Leader))
			}
			done <- err
		}()
		time.Sleep(600 * time.Millisecond) // three request timeouts
		if _, err := l.Resign(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s campaign behind a leader on a connection with a request timeout: %v", kind, err)
		}
	}
}
