package faulttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.etcd.io/etcd/tests/v3/robustness/validate"
	"go.uber.org/zap"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/coalescecheck"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

// coalescedClients share one coalescing connection in TestCoalescedKill.
const coalescedClients = 12

// TestCoalescedKill runs etcd's traffic mix (gets, gets at a revision,
// lists, puts, deletes, compare-and-set transactions) from many logical
// clients sharing ONE connection with coalescing on, so that their gets,
// puts and deletes travel in batches, and kills the member that connection
// uses, then the leader, each restarted a second later, then drops the
// answers of the member the connection is on for longer than a call's
// timeout (its batches are applied; their callers cannot know). Writes of a batch
// whose fate the kill made unknown are recorded as of unknown outcome (the
// library reports ErrUnknownOutcome to each). The history, with each batch
// merged back into the transaction it was (coalescecheck.Merge, which
// places writes of unknown outcome from the members' WAL), must pass etcd's
// validators (linearizability, stale reads, the watch rules; a batch's
// writes share one revision, so the watch may see several events at one
// revision) and this package's applied-once and per-client revision
// checkers; the final write succeeds and every member has the same hash.
func TestCoalescedKill(t *testing.T) {
	lg := zap.NewNop()
	cl := processCluster(t)
	before := etcdtest.SnapshotGoroutines().Only(clientGoroutine)
	r := &run{t: t, cl: cl, rec: newRecorder()}
	r.admin = newConn(t, cl.Endpoints())
	defer r.admin.Close()

	cc, err := conn.New(context.Background(), conn.Config{Endpoints: cl.Endpoints(), DialTimeout: 5 * time.Second,
		KeepAliveTime: 5 * time.Second, KeepAliveTimeout: 2 * time.Second, Coalescing: conn.Coalescing{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	var clients []*kvClient
	for range coalescedClients {
		clients = append(clients, newKVClient(r.rec, cc))
	}
	if err := clients[0].firstGet(); err != nil {
		t.Fatal(err)
	}
	wc := newConn(t, cl.Endpoints())
	defer wc.Close()
	w, err := startWatcher(r.rec, wc)
	if err != nil {
		t.Fatal(err)
	}

	ops, stop := startLoad(t, clients)

	// Kill the member the coalescing connection is on, then the leader,
	// each restarted a second later.
	for round := range 2 {
		victim := -1
		if round == 0 {
			victim = r.usedMember(cc)
		}
		if victim < 0 {
			victim = r.waitLeader()
		}
		before := ops()
		r.cl.Members[victim].Kill()
		r.faults++
		time.Sleep(time.Second)
		if err := r.cl.Members[victim].Restart(); err != nil {
			t.Fatal(err)
		}
		t.Logf("killed %s: %d operations in the second it was down", r.cl.Members[victim].Name, ops()-before)
	}
	// Then drop the answers of the member the connection is on for longer
	// than a call's timeout: its batches are applied, and their writes end
	// with an unknown outcome.
	if used := r.usedMember(cc); used >= 0 {
		p := r.cl.Members[used].ClientProxy()
		p.Blackhole(etcdtest.ToClient)
		r.faults++
		time.Sleep(callTimeout + 500*time.Millisecond)
		p.Heal()
		p.CloseConnections()
		t.Logf("black-holed the answers of %s", r.cl.Members[used].Name)
	}
	r.waitLeader()
	time.Sleep(500 * time.Millisecond) // traffic after recovery
	stop()
	stats := cc.CoalesceStats()

	var violations []string
	finalRev, err := clients[0].finalPut()
	if err != nil {
		violations = append(violations, fmt.Sprintf("final write failed: %v", err))
	}
	if !w.stopAt(finalRev, 30*time.Second) {
		violations = append(violations, fmt.Sprintf("watcher stopped at revision %d of %d (%v)", w.last.Load(), finalRev, w.err))
	}
	violations = append(violations, r.hashes(finalRev)...)
	for _, c := range []*conn.Conn{r.admin, cc, wc} {
		c.Close()
	}
	violations = append(violations, leftGoroutines(t, before)...)

	var reports []report.ClientReport
	var sum summary
	sum.name = "coalesced-kill"
	sum.faults = r.faults
	for _, k := range clients {
		reports = append(reports, k.report())
		sum.ops += k.ops
		sum.failed += k.failed
		sum.unknown += k.unknown
		for _, e := range k.untyped {
			violations = append(violations, fmt.Sprintf("untyped error: %v", e))
		}
	}
	rep := w.report()
	sum.events = rep.WatchEventCount()
	reports = append(reports, rep)

	persisted, pv := persistedBy(t, lg, cl)
	violations = append(violations, pv...)
	merged, ms, v := coalescecheck.Merge(reports, persisted, r.rec.ids)
	violations = append(violations, v...)
	violations = append(violations, checkAppliedOnce(persisted)...)
	violations = append(violations, checkRevisionsMonotonic(reports)...)
	vstart := time.Now()
	// The writes of one batch share a revision, so a watch may deliver
	// several events at one revision: etcd's validators take that with
	// ExpectRevisionUnique off, as for its own multi-put transactions.
	path, err := runValidators(lg, "coalesced", validate.Config{ExpectRevisionUnique: false}, true, merged, persisted)
	t.Logf("etcd's validators took %v", time.Since(vstart).Round(time.Millisecond))
	violations = append(violations, validatorViolations(path, err)...)
	sum.violations = len(violations)
	sum.longestWait = time.Duration(r.rec.longest.Load())
	t.Logf("%s", sum)
	t.Logf("%s; write batches in the history %d carrying %d writes (at most %d), %d writes of unknown outcome placed in theirs from the WAL",
		stats, ms.Batches, ms.Merged, ms.MaxBatch, ms.Unknown)
	// The connection did coalesce, or the run proves nothing about it.
	if stats.Batches == 0 || stats.PerBatch() <= 1 || ms.Batches == 0 {
		t.Errorf("no batches: %s; %d write batches in the history", stats, ms.Batches)
	}
	if len(violations) > 0 {
		t.Errorf("%d violations: %s", len(violations), joinViolations(violations))
	}
}

// usedMember returns the index of the member that answers the connection's
// gets, -1 if none answers.
func (r *run) usedMember(c *conn.Conn) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, err := c.Get(ctx, kv.New().WithKey(keyName(0)).WithNoCoalesce())
	if err != nil {
		return -1
	}
	for i, m := range r.cl.Members {
		st, err := maintenance.Status(ctx, r.admin, maintenance.New().WithEndpoint(m.Endpoint()))
		if err == nil && st.Header.MemberID == g.Header.MemberID {
			return i
		}
	}
	return -1
}
