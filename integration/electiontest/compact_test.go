package electiontest

import (
	"testing"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
)

// TestObserveAcrossCompaction: an observer is cut off while the leader
// resigns, the next candidate takes over and proclaims a new value, and
// the history of all that is compacted before the observer is back. Its
// watch cannot resume from the revision after the last one it saw: it
// lists the candidates again and yields the new leader with its latest
// value, once, and then the next change (not the same leader again, not
// the old one).
func TestObserveAcrossCompaction(t *testing.T) {
	check := noLeaks(t)
	ctx := testCtx(t)
	n := name(t)
	p, cp := shared.Through(ctx, t)
	c, _ := open(t, nil) // direct: candidates, compaction
	sa, sb := session(t, c, 30), session(t, c, 30)
	obs := observe(t, clientObserve(cp, election.Name(n)))
	if li := obs.next(t); !li.Vacant() {
		t.Fatalf("first observation %+v, want vacant", li)
	}
	a, err := election.Campaign(ctx, c, election.Name(n).WithSession(sa).WithValue("a"))
	if err != nil {
		t.Fatal(err)
	}
	wantLeader(t, obs.next(t), a, "a")

	p.Cut() // the observer's connection is closed, and cannot come back
	bch := campaignAsync(ctx, c, election.Name(n).WithSession(sb).WithValue("b"))
	waitFor(t, "b's key", func() bool { return count(t, c, n) == 2 })
	if _, err := a.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	rb := <-bch
	if rb.err != nil {
		t.Fatal(rb.err)
	}
	b := rb.l
	pr, err := b.Proclaim(ctx, "b2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(pr.Header.Revision)); err != nil {
		t.Fatal(err)
	}
	p.Heal()

	wantLeader(t, obs.next(t), b, "b2")
	if _, err := b.Proclaim(ctx, "b3"); err != nil {
		t.Fatal(err)
	}
	wantLeader(t, obs.next(t), b, "b3")
	if _, err := b.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if li := obs.next(t); !li.Vacant() {
		t.Fatalf("after the last candidate resigned: %+v, want vacant", li)
	}
	obs.stop()
	sa.Close()
	sb.Close()
	cp.Close()
	c.Close()
	p.Close()
	check()
}
