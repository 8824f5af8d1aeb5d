package electiontest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/lease"
)

// TestObserveAcrossMemberRestart: on a three-member cluster, observers
// connected to member 0 only follow an election that a writer connected to
// members 1 and 2 drives through a known sequence of leaders and values.
// Member 0 is killed in the middle of the sequence and restarted later.
// The client-side Observe must yield the sequence exactly: every change
// once, in order, none missed while member 0 was down. The server-side
// Observe (which may skip a leader that came and went, by etcd's design)
// must yield no duplicate, in order, and end on the final leader.
func TestObserveAcrossMemberRestart(t *testing.T) {
	check := noLeaks(t)
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	m0 := cl.Members[0]
	ctx := testCtx(t)
	n := name(t)
	co, _ := open(t, []string{m0.Endpoint()})
	cw, _ := open(t, []string{cl.Members[1].Endpoint(), cl.Members[2].Endpoint()})
	cobs := observe(t, clientObserve(co, election.Name(n)))
	sobs := observe(t, serverObserve(co, election.Name(n)))
	if li := cobs.next(t); !li.Vacant() {
		t.Fatalf("first observation %+v, want vacant", li)
	}

	var want []string
	leads := func(l *election.Leadership, v string) {
		want = append(want, fmt.Sprintf("%s=%s(c%d)", l.Key().Key, v, l.Rev()))
	}
	vacant := func() { want = append(want, "vacant") }
	newSession := func() *lease.Session {
		s, err := lease.NewSession(ctx, cw, lease.TTL(10))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	// The writes are tried again while the cluster elects a new raft
	// leader after the kill: each is guarded or cleaned up, so a retry
	// after an unknown outcome is safe.
	campaign := func(s *lease.Session, v string) (l *election.Leadership) {
		retry(t, func() (err error) {
			l, err = election.Campaign(ctx, cw, election.Name(n).WithSession(s).WithValue(v))
			return err
		})
		return l
	}
	proclaim := func(l *election.Leadership, v string) {
		retry(t, func() error { _, err := l.Proclaim(ctx, v); return err })
		leads(l, v)
	}
	resign := func(l *election.Leadership) {
		retry(t, func() error { _, err := l.Resign(ctx); return err })
	}

	// Phase 1: member 0 up.
	l1 := campaign(newSession(), "v1")
	leads(l1, "v1")
	proclaim(l1, "v1b")
	// Wait until the observers are caught up, so that the kill falls
	// between phases.
	got := collect(t, cobs, len(want))
	for describe(sobs.next(t)) != want[len(want)-1] {
	}
	m0.Kill()
	killed := time.Now()

	// Phase 2: member 0 down.
	resign(l1)
	vacant()
	l2 := campaign(newSession(), "v2")
	leads(l2, "v2")
	s3 := newSession()
	ch3 := campaignAsync(ctx, cw, election.Name(n).WithSession(s3).WithValue("v3"))
	waitFor(t, "the third candidate's key", func() bool { return count(t, cw, n) == 2 })
	proclaim(l2, "v2b")
	retry(t, func() error {
		_, err := lease.Revoke(ctx, cw, lease.ID(l2.Key().Lease))
		if errors.Is(err, conn.ErrLeaseNotFound) {
			return nil // an earlier try was applied
		}
		return err
	})
	r3 := <-ch3
	if r3.err != nil {
		t.Fatal(r3.err)
	}
	leads(r3.l, "v3")

	if err := m0.Restart(); err != nil {
		t.Fatal(err)
	}
	// Phase 3: member 0 back.
	resign(r3.l)
	vacant()
	l4 := campaign(newSession(), "v4")
	leads(l4, "v4")

	got = append(got, collect(t, cobs, len(want)-len(got))...)
	t.Logf("client-side Observe caught up %v after the kill", time.Since(killed).Round(time.Millisecond))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("client-side Observe yielded\n%v\nwant\n%v", got, want)
	}
	cobs.none(t, 300*time.Millisecond)

	// The server-side stream: in order, no duplicate, ends on l4.
	var sgot []string
	var last election.LeaderInfo
	for {
		li := sobs.next(t)
		if li.Header.Revision < last.Header.Revision {
			t.Fatalf("server-side Observe went back from revision %d to %d", last.Header.Revision, li.Header.Revision)
		}
		s := describe(li)
		if len(sgot) > 0 && sgot[len(sgot)-1] == s {
			t.Fatalf("server-side Observe yielded %s twice", s)
		}
		sgot = append(sgot, s)
		last = li
		if s == want[len(want)-1] {
			break
		}
	}
	t.Logf("server-side Observe yielded %d of the %d changes after the kill: %v", len(sgot), len(want)-3, sgot)
	resign(l4)
	cobs.stop()
	sobs.stop()
	co.Close()
	cw.Close()
	// The cluster's processes and the fault proxies in front of them are
	// the harness's, not the client's: end them before counting.
	cl.Close()
	check()
}

// retry runs f until it succeeds, while it fails with an unknown outcome
// or an unavailable cluster, for at most a minute.
func retry(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !(errors.Is(err, conn.ErrUnknownOutcome) || errors.Is(err, conn.ErrUnavailable) ||
			errors.Is(err, conn.ErrNoLeader) || errors.Is(err, conn.ErrTimeout)) {
			t.Fatal(err)
		}
		t.Logf("trying again after: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(li election.LeaderInfo) string {
	if li.Vacant() {
		return "vacant"
	}
	return fmt.Sprintf("%s=%s(c%d)", li.KV.Key, li.Value(), li.Rev())
}

// collect reads n observations.
func collect(t *testing.T, o *observed, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	for range n {
		out = append(out, describe(o.next(t)))
	}
	return out
}
