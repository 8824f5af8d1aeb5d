package healthtest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/membership"
)

// installed records every endpoint list a connection installs, from its
// "getcd: endpoints changed" log records.
type installed struct {
	mu    sync.Mutex
	lists []endpointList
}

type endpointList struct {
	at  time.Time
	eps []string
}

func (h *installed) Enabled(context.Context, slog.Level) bool { return true }
func (h *installed) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *installed) WithGroup(string) slog.Handler            { return h }

func (h *installed) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "getcd: endpoints changed" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "endpoints" {
			if eps, ok := a.Value.Any().([]string); ok {
				h.mu.Lock()
				h.lists = append(h.lists, endpointList{at: time.Now(), eps: slices.Clone(eps)})
				h.mu.Unlock()
			}
		}
		return true
	})
	return nil
}

func (h *installed) all() []endpointList {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.lists)
}

// answer is one call of the learner test's workload: who answered, or the
// error.
type answer struct {
	at     time.Time
	member uint64
	err    error
}

// With auto-sync on, a connection that starts with one endpoint of a
// three-member cluster finds the two others; a learner added, started,
// promoted and removed is used only between its promotion and its removal.
// Every endpoint list the connection installs is recorded, and no list
// installed before the promotion holds the learner; no call of a workload
// (linearizable and serializable gets, puts) running throughout is answered
// by the learner before its promotion or refused as a learner's.
func TestAutoSyncLearner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	ctx := testCtx(t)
	rec := &installed{}
	c := open(t, conn.Config{Endpoints: cl.Endpoints()[:1], AutoSyncInterval: 50 * time.Millisecond, Logger: slog.New(rec)})
	eventually(t, ctx, "auto-sync finds the three members", func() bool { return len(c.Endpoints()) == 3 })
	if eps := c.Endpoints(); eps[0] != cl.Endpoints()[0] || !sameSet(eps, cl.Endpoints()) {
		t.Fatalf("endpoints %v, want %v with the configured one first", eps, cl.Endpoints())
	}
	if st := c.Status(); len(st) != 3 {
		t.Errorf("Status has %d rows, want 3: %+v", len(st), st)
	}

	// The workload: every answer's member, every error.
	var (
		mu      sync.Mutex
		answers []answer
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	prefix := etcdtest.KeyPrefix(t) + "/"
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				var member uint64
				var err error
				switch i % 3 {
				case 0:
					var r *conn.PutResponse
					if r, err = c.Put(cctx, kv.New().WithKey(prefix+string(rune('a'+g))).WithValue("v")); err == nil {
						member = r.Header.MemberID
					}
				case 1:
					var r *conn.GetResponse
					if r, err = c.Get(cctx, kv.New().WithKey(prefix+string(rune('a'+g)))); err == nil {
						member = r.Header.MemberID
					}
				case 2:
					var r *conn.GetResponse
					if r, err = c.Get(cctx, kv.New().WithKey(prefix+string(rune('a'+g))).WithSerializable()); err == nil {
						member = r.Header.MemberID
					}
				}
				cancel()
				mu.Lock()
				answers = append(answers, answer{at: time.Now(), member: member, err: err})
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}()
	// syncs gives the connection time to sync about twenty times (the
	// interval is 50ms).
	syncs := func() { time.Sleep(time.Second) }

	nm, err := cl.NewMember("m3")
	if err != nil {
		t.Fatal(err)
	}
	var added *membership.AddResponse
	eventually(t, ctx, "the learner is added", func() bool {
		added, err = membership.Add(ctx, c, membership.New().WithPeerURLs(nm.PeerURL()).AsLearner())
		if err != nil && (!errors.Is(err, conn.ErrUnhealthy) || errors.Is(err, conn.ErrUnknownOutcome)) {
			t.Fatalf("add: %v", err)
		}
		return err == nil
	})
	learner := added.Member.ID
	syncs()
	if eps := c.Endpoints(); len(eps) != 3 {
		t.Errorf("after the learner was added (not started): endpoints %v", eps)
	}
	var initial []string
	for _, m := range added.Members {
		name := m.Name
		if m.ID == learner {
			name = nm.Name
		}
		initial = append(initial, name+"="+m.PeerURLs[0])
	}
	if err := cl.Join(nm, strings.Join(initial, ",")); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the learner publishes its client URL", func() bool {
		l, err := membership.List(ctx, c, membership.New().WithLinearizable())
		if err != nil {
			return false
		}
		for _, m := range l.Members {
			if m.ID == learner {
				return len(m.ClientURLs) > 0 && m.IsLearner
			}
		}
		return false
	})
	syncs()
	if eps := c.Endpoints(); slices.Contains(eps, nm.Endpoint()) {
		t.Errorf("the started learner is among the endpoints: %v", eps)
	}

	promoteAt := time.Now()
	eventually(t, ctx, "the learner is promoted", func() bool {
		_, err = membership.Promote(ctx, c, membership.New().WithID(learner))
		if err != nil && !errors.Is(err, conn.ErrLearnerNotReady) {
			t.Fatalf("promote: %v", err)
		}
		return err == nil
	})
	eventually(t, ctx, "auto-sync adds the promoted member", func() bool { return slices.Contains(c.Endpoints(), nm.Endpoint()) })
	if _, ok := statusOf(c, nm.Endpoint()); !ok {
		t.Errorf("Status has no row for the promoted member: %+v", c.Status())
	}
	eventually(t, ctx, "the promoted member answers a call", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(answers, func(a answer) bool { return a.member == learner })
	})

	removeAt := time.Now()
	// etcd refuses to remove a voting member (ErrUnhealthy, before
	// proposing: server.go mayRemoveMember) unless enough voting members
	// have been connected to the member handling the request for etcd's
	// health interval (5 s); a member promoted a moment ago may not count
	// yet. The refusal changes nothing, so the request is sent again.
	eventually(t, ctx, "the promoted member is removed", func() bool {
		_, err := membership.Remove(ctx, c, membership.New().WithID(learner))
		if err != nil && !errors.Is(err, conn.ErrUnhealthy) {
			t.Fatalf("remove: %v", err)
		}
		return err == nil
	})
	eventually(t, ctx, "auto-sync drops the removed member", func() bool { return !slices.Contains(c.Endpoints(), nm.Endpoint()) })
	if _, ok := statusOf(c, nm.Endpoint()); ok {
		t.Errorf("Status still has a row for the removed member: %+v", c.Status())
	}
	close(stop)
	wg.Wait()

	lists := rec.all()
	for _, l := range lists {
		if l.at.Before(promoteAt) && slices.Contains(l.eps, nm.Endpoint()) {
			t.Errorf("endpoint list installed before the promotion holds the learner: %v", l.eps)
		}
	}
	t.Logf("endpoint lists installed: %d", len(lists))
	for _, l := range lists {
		t.Logf("  %s %v", l.at.Format("15:04:05.000"), l.eps)
	}
	var byLearner, learnerRefusals, failed int
	var errs []string
	for _, a := range answers {
		if a.member == learner && a.at.Before(promoteAt) {
			byLearner++
		}
		if errors.Is(a.err, conn.ErrNotForLearner) {
			learnerRefusals++
		}
		if a.err != nil {
			failed++
			if len(errs) < 5 {
				errs = append(errs, a.err.Error())
			}
		}
	}
	t.Logf("calls: %d, failed: %d (removal at %s) %v", len(answers), failed, removeAt.Format("15:04:05.000"), errs)
	if byLearner > 0 || learnerRefusals > 0 {
		t.Errorf("the learner was offered calls: %d answered by it before its promotion, %d refused as a learner's", byLearner, learnerRefusals)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// SetEndpoints refuses what the connection cannot use, and changes nothing
// then.
func TestSetEndpointsInvalid(t *testing.T) {
	s := etcdtest.StartProcess(t, etcdBin, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	for _, eps := range [][]string{nil, {"https://127.0.0.1:2379"}, {"nope"}, {"127.0.0.1:1", "127.0.0.1:01"}} {
		err := c.SetEndpoints(eps...)
		var ce *conn.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Endpoints" {
			t.Errorf("SetEndpoints(%q) = %v, want a *conn.ConfigError on Endpoints", eps, err)
		}
	}
	if got := c.Endpoints(); !slices.Equal(got, s.Endpoints()) {
		t.Errorf("endpoints changed by refused calls: %v", got)
	}
	// A dead endpoint added beside the live one: calls still succeed.
	dead := etcdtest.DeadEndpoint(t)
	if err := c.SetEndpoints(dead, s.Endpoints()[0]); err != nil {
		t.Fatal(err)
	}
	if got := c.Endpoints(); !slices.Equal(got, []string{dead, s.Endpoints()[0]}) || len(c.Status()) != 2 {
		t.Errorf("after SetEndpoints: %v, %+v", got, c.Status())
	}
	ctx := testCtx(t)
	for range 10 {
		if _, err := c.Get(ctx, kv.New().WithKey("k")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.Endpoints(); !slices.Equal(got, s.Endpoints()) {
		t.Errorf("after Sync: %v, want %v", got, s.Endpoints())
	}
}
