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
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

// TestUnknownCreateLeavesNoKey forces what TestCancelledAnywhere hits only
// by chance: a campaign whose context is cancelled while its key's create
// is in flight, and whose answer never comes. The campaign's connection
// goes through a proxy that drops every answer, so the create is applied
// but its outcome is unknown to the campaign; the campaign must fail and
// delete the key (guarded by its lease) all the same. The keys and the
// lease are read on a direct connection, not through the proxy, and the
// session's lease is kept alive on that connection, so a key that is gone
// was deleted, not expired.
func TestUnknownCreateLeavesNoKey(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	p, cp := shared.Through(ctx, t)
	c, _ := open(t, nil) // direct: the leader, the session and the checks
	sa, sb := session(t, c, 30), session(t, c, 30)
	a, err := election.Campaign(ctx, c, election.Name(n).WithSession(sa))
	if err != nil {
		t.Fatal(err)
	}
	// A call through the proxy first, so that the connection is up.
	if _, err := cp.Get(ctx, kv.New().WithKey(n)); err != nil {
		t.Fatal(err)
	}

	p.Blackhole(etcdtest.ToClient) // requests go through, answers are dropped
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		l, err := election.Campaign(cctx, cp, election.Name(n).WithSession(sb).WithValue("b"))
		if err == nil {
			_, _ = l.Resign(context.Background())
			err = errors.New("campaign behind a leader won")
		}
		done <- err
	}()
	mine := n + "/" + hex(sb.ID())
	waitFor(t, "the campaign's create to be applied", func() bool {
		g, err := c.Get(ctx, kv.New().WithKey(mine))
		return err == nil && len(g.KVs) == 1
	})
	// The create was applied and its answer dropped: the campaign is still
	// waiting for it when its context ends, and goes on waiting (at most
	// its cleanup timeout) so as to know whether there is a key. The
	// connection is cut before the proxy heals, so that an answer the
	// server had not yet written cannot get through: the answer never
	// comes, and the outcome stays unknown.
	start := time.Now()
	cancel()
	p.Cut()
	p.Heal()
	err = <-done
	t.Logf("the campaign returned %v after its cancellation: %v", time.Since(start), err)
	if !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("campaign whose create's answer was lost: %v, want conn.ErrUnknownOutcome", err)
	}

	onlyLeaderKey(ctx, t, c, n, a.Key().Key, fmt.Sprintf("after the campaign (the candidate's was %q)", mine))
	if ttl, err := lease.TimeToLive(ctx, c, lease.ID(sb.ID()).WithKeys()); err != nil || ttl.TTL <= 0 || len(ttl.Keys) != 0 {
		t.Fatalf("the candidate's lease: %+v, %v; want alive with no key", ttl, err)
	}
	if _, err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	sa.Close()
	sb.Close()
	cp.Close()
	c.Close()
	p.Close()
	check()
}

// TestUnknownResign: a Resign whose delete was applied but whose answer
// was lost says its outcome is unknown and leaves the handle going on; the
// deletion the handle sees afterwards (its watch resumes on a new
// connection) was most likely that Resign's, and must not be reported as
// a loss: the handle ends with ErrResigned, and a second Resign says so.
func TestUnknownResign(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	p, cp := shared.Through(ctx, t)
	c, _ := open(t, nil) // direct: the session and the checks
	s := session(t, c, 30)
	l, err := election.Campaign(ctx, cp, election.Name(n).WithSession(s).WithValue("a"))
	if err != nil {
		t.Fatal(err)
	}

	p.Blackhole(etcdtest.ToClient) // requests go through, answers are dropped
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := l.Resign(rctx)
		done <- err
	}()
	waitFor(t, "the resign's delete to be applied", func() bool {
		g, err := c.Get(ctx, kv.New().WithKey(l.Key().Key))
		return err == nil && len(g.KVs) == 0
	})
	cancel()
	if err := <-done; !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("Resign whose answer was lost: %v, want conn.ErrUnknownOutcome", err)
	}
	// A new byte stream: the handle's watch resumes and sees the deletion.
	p.Cut()
	p.Heal()
	select {
	case <-l.Done():
	case <-ctx.Done():
		t.Fatal("the handle never saw its key deleted")
	}
	if err := l.Err(); err != election.ErrResigned {
		t.Errorf("Err after the deletion of an unknown Resign: %v, want ErrResigned", err)
	}
	if _, err := l.Resign(ctx); err != nil {
		t.Errorf("second Resign: %v", err)
	}
	if err := l.Err(); err != election.ErrResigned {
		t.Errorf("Err after the second Resign: %v, want ErrResigned", err)
	}
	s.Close()
	cp.Close()
	c.Close()
	p.Close()
	check()
}

// TestResignWhileAnotherFails: one handle resigned from two goroutines,
// one of them with a context that has ended, so that its Resign fails at
// at once while the other's delete is in flight (tried again and again
// until the other has its answer). The failure must not make
// the handle forget the Resign in flight: the deletion it sees is that
// Resign's, and Err is ErrResigned every round. (The handle sees the
// deletion before the other Resign has its answer only now and then:
// before the fix, about one round in a hundred ended lost.)
func TestResignWhileAnotherFails(t *testing.T) {
	const rounds = 200
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	s := session(t, c, 30)
	ended, cancel := context.WithCancel(ctx)
	cancel()
	for i := range rounds {
		l, err := election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("a"))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := l.Resign(ctx)
			done <- err
		}()
		// Failing Resigns until the other one has its answer, so that
		// one fails while its delete is in flight.
	wait:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: Resign: %v", i, err)
				}
				break wait
			default:
			}
			if _, err := l.Resign(ended); !errors.Is(err, context.Canceled) {
				t.Fatalf("round %d: Resign with an ended context: %v", i, err)
			}
		}
		<-l.Done()
		if err := l.Err(); err != election.ErrResigned {
			t.Fatalf("round %d: Err after Resign: %v, want ErrResigned", i, err)
		}
	}
	s.Close()
	c.Close()
	check()
}
