package watchtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/watch"
)

// hist is one event, as the history says it happened or as a watch
// delivered it.
type hist struct {
	Rev       int64
	Type      watch.EventType
	Key       string
	Value     string
	CreateRev int64
	Version   int64
	Prev      string // value before, when PrevOK
	PrevOK    bool
}

func (h hist) String() string {
	s := fmt.Sprintf("%d %s %s=%q c%d v%d", h.Rev, h.Type, h.Key, h.Value, h.CreateRev, h.Version)
	if h.PrevOK {
		s += fmt.Sprintf(" prev=%q", h.Prev)
	}
	return s
}

// readHistory reads the keys under prefix at every revision from from-1 to
// to, one get per revision, and returns the events that turned each
// revision's keys into the next one's, sorted by key within a revision.
func readHistory(t *testing.T, ctx context.Context, c *conn.Conn, prefix string, from, to int64) []hist {
	t.Helper()
	state := func(rev int64) map[string]conn.KeyValue {
		out := map[string]conn.KeyValue{}
		if rev < 1 {
			return out
		}
		resp, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithRev(rev))
		if err != nil {
			t.Fatalf("get at revision %d: %v", rev, err)
		}
		for _, k := range resp.KVs {
			out[string(k.Key)] = k
		}
		return out
	}
	var out []hist
	before := state(from - 1)
	for rev := from; rev <= to; rev++ {
		after := state(rev)
		var evs []hist
		for k, a := range after {
			if a.ModRevision != rev {
				continue
			}
			h := hist{Rev: rev, Type: watch.Put, Key: k, Value: string(a.Value), CreateRev: a.CreateRevision, Version: a.Version}
			if b, ok := before[k]; ok {
				h.Prev, h.PrevOK = string(b.Value), true
			}
			evs = append(evs, h)
		}
		for k, b := range before {
			if _, ok := after[k]; !ok {
				evs = append(evs, hist{Rev: rev, Type: watch.Delete, Key: k, Prev: string(b.Value), PrevOK: true})
			}
		}
		slices.SortFunc(evs, func(x, y hist) int { return strings.Compare(x.Key, y.Key) })
		out = append(out, evs...)
		before = after
	}
	return out
}

// histOf converts delivered events.
func histOf(evs []watch.Event) []hist {
	out := make([]hist, len(evs))
	for i, ev := range evs {
		h := hist{Rev: ev.KV.ModRevision, Type: ev.Type, Key: string(ev.KV.Key)}
		if ev.Type == watch.Put {
			h.Value, h.CreateRev, h.Version = string(ev.KV.Value), ev.KV.CreateRevision, ev.KV.Version
		}
		if ev.PrevKV != nil {
			h.Prev, h.PrevOK = string(ev.PrevKV.Value), true
		}
		out[i] = h
	}
	return out
}

// checkDelivered compares what a watch delivered with the history: the
// same events, each exactly once, revisions never going back. Within a
// revision the comparison is by key, since the history does not know the
// order of a transaction's operations.
func checkDelivered(t *testing.T, name string, got []watch.Event, want []hist) {
	t.Helper()
	g := histOf(got)
	for i := 1; i < len(g); i++ {
		if g[i].Rev < g[i-1].Rev {
			t.Errorf("%s: revision %d delivered after %d", name, g[i].Rev, g[i-1].Rev)
			return
		}
	}
	slices.SortStableFunc(g, func(x, y hist) int {
		if x.Rev != y.Rev {
			return int(x.Rev - y.Rev)
		}
		return strings.Compare(x.Key, y.Key)
	})
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("%s: delivered events differ from the history (-history +delivered):\n%s", name, d)
	}
}

// collector reads a watch in a goroutine and keeps everything it delivers.
type collector struct {
	w      *watch.Watcher
	delay  time.Duration // per response, to make a slow consumer
	mu     sync.Mutex
	events []watch.Event
	last   int64 // revision reached
	member uint64
	err    error
	done   chan struct{}
}

func collect(w *watch.Watcher, delay time.Duration) *collector {
	c := &collector{w: w, delay: delay, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for r, err := range w.Responses() {
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			c.mu.Lock()
			c.events = append(c.events, r.Events...)
			c.last = max(c.last, r.Revision())
			c.member = r.Header.MemberID
			c.mu.Unlock()
			if c.delay > 0 {
				time.Sleep(c.delay)
			}
		}
	}()
	return c
}

// waitRev waits until the watch has reached rev; it fails the test if the
// watch ends first or ctx ends.
func (c *collector) waitRev(t *testing.T, ctx context.Context, name string, rev int64) {
	t.Helper()
	for {
		c.mu.Lock()
		last, err := c.last, c.err
		c.mu.Unlock()
		if last >= rev {
			return
		}
		if err != nil {
			t.Fatalf("%s ended at revision %d before %d: %v", name, last, rev, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s reached revision %d, waited for %d: %v", name, last, rev, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop closes the watch and returns what it delivered.
func (c *collector) stop() []watch.Event {
	c.w.Close()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

// writer changes keys under a prefix with puts, deletes and transactions
// until stopped. Failures (a server down, an election) are counted and
// ignored: the history read back afterwards says what happened.
type writer struct {
	stopc    chan struct{}
	done     chan struct{}
	ok, errs atomic.Int64
}

func startWriter(c *conn.Conn, prefix string, seed uint64) *writer {
	w := &writer{stopc: make(chan struct{}), done: make(chan struct{})}
	rnd := rand.New(rand.NewPCG(seed, 1))
	key := func() string { return fmt.Sprintf("%sk%02d", prefix, rnd.IntN(16)) }
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stopc:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			var err error
			v := fmt.Sprintf("v%d", i)
			switch n := rnd.IntN(10); {
			case n < 5:
				_, err = c.Put(ctx, kv.New().WithKey(key()).WithValue(v))
			case n < 7:
				_, err = c.Delete(ctx, kv.New().WithKey(key()))
			default:
				a, b, d := key(), key(), key()
				if a == b || a == d || b == d {
					cancel()
					continue
				}
				_, err = c.Txn(ctx, op.If(compare.Key(a).Version(compare.GreaterOrEqual, 0)).Then(
					op.Put(kv.New().WithKey(a).WithValue(v+"a")),
					op.Put(kv.New().WithKey(b).WithValue(v+"b")),
					op.Delete(kv.New().WithKey(d)),
				))
			}
			cancel()
			if err != nil {
				w.errs.Add(1)
				time.Sleep(20 * time.Millisecond)
			} else {
				w.ok.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

func (w *writer) stop() {
	close(w.stopc)
	<-w.done
}

// sentinel puts and deletes one last key under prefix, so that every watch
// of the prefix, whatever its filter, has a last event to wait for. It
// returns the revisions of the put and the delete.
func sentinel(t *testing.T, ctx context.Context, c *conn.Conn, prefix string) (put, del int64) {
	t.Helper()
	p, err := c.Put(ctx, kv.New().WithKey(prefix+"zz-end").WithValue("end"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Delete(ctx, kv.New().WithKey(prefix+"zz-end"))
	if err != nil {
		t.Fatal(err)
	}
	return p.Header.Revision, d.Header.Revision
}

// variant is one kind of watch checked against the history.
type variant struct {
	name  string
	req   func(prefix string) watch.Request
	keep  func(hist) bool // which events of the prefix it gets
	prev  bool            // whether it gets prev_kv
	delay time.Duration   // consumer's delay per response
}

var variants = []variant{
	{name: "prefix", req: watch.Prefix},
	{name: "prev_kv", req: func(p string) watch.Request { return watch.Prefix(p).WithPrevKV() }, prev: true},
	{name: "no_put+prev_kv", req: func(p string) watch.Request { return watch.Prefix(p).WithFilterPut().WithPrevKV() },
		keep: func(h hist) bool { return h.Type == watch.Delete }, prev: true},
	{name: "no_delete", req: func(p string) watch.Request { return watch.Prefix(p).WithFilterDelete() },
		keep: func(h hist) bool { return h.Type == watch.Put }},
	{name: "one_key+prev_kv", req: func(p string) watch.Request { return watch.Key(p + "k03").WithPrevKV() },
		keep: func(h hist) bool { return strings.HasSuffix(h.Key, "/k03") }, prev: true},
	{name: "slow+small_buffer+prev_kv+fragment", req: func(p string) watch.Request {
		return watch.Prefix(p).WithPrevKV().WithFragment().WithBuffer(8)
	}, prev: true, delay: time.Millisecond},
	{name: "no_leader_required", req: func(p string) watch.Request { return watch.Prefix(p).WithoutRequireLeader() }},
}

// expected filters the history for a variant.
func (v variant) expected(all []hist) []hist {
	var out []hist
	for _, h := range all {
		if v.keep != nil && !v.keep(h) {
			continue
		}
		if !v.prev {
			h.Prev, h.PrevOK = "", false
		}
		out = append(out, h)
	}
	return out
}

// faultRun opens every variant on wc from start, runs a writer on writeConn
// while fault runs, then checks every watch against the history and the
// mirror against a fresh get.
func faultRun(t *testing.T, wc, writeConn *conn.Conn, prefix string, fault func(probe *collector)) {
	ctx := testCtx(t)
	resp, err := writeConn.Get(ctx, kv.New().WithKey(prefix).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	start := resp.Header.Revision + 1
	cols := make([]*collector, len(variants))
	for i, v := range variants {
		w, err := watch.Open(ctx, wc, v.req(prefix).WithStartRevision(start))
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = collect(w, v.delay)
	}
	mirror, err := watch.OpenMirror(ctx, wc, watch.Prefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer mirror.Close()

	wr := startWriter(writeConn, prefix, uint64(len(prefix)))
	fault(cols[0])
	wr.stop()
	_, end := sentinel(t, ctx, writeConn, prefix)
	t.Logf("writer: %d writes acknowledged, %d failed; revisions %d to %d", wr.ok.Load(), wr.errs.Load(), start, end)
	if wr.ok.Load() == 0 {
		t.Fatal("no write succeeded")
	}

	history := readHistory(t, ctx, writeConn, prefix, start, end)
	for i, v := range variants {
		want := v.expected(history)
		if len(want) == 0 {
			t.Fatalf("%s: nothing to expect", v.name)
		}
		cols[i].waitRev(t, ctx, v.name, want[len(want)-1].Rev)
		checkDelivered(t, v.name, cols[i].stop(), want)
	}

	for mirror.Revision() < end {
		select {
		case <-mirror.Done():
			t.Fatalf("mirror ended: %v", mirror.Err())
		case <-ctx.Done():
			t.Fatalf("mirror at revision %d, want %d", mirror.Revision(), end)
		case <-time.After(10 * time.Millisecond):
		}
	}
	checkMirror(t, ctx, writeConn, mirror, prefix)
}

// checkMirror compares a mirror's copy with a fresh get at its revision.
func checkMirror(t *testing.T, ctx context.Context, c *conn.Conn, m *watch.Mirror, prefix string) {
	t.Helper()
	got, rev := m.List()
	resp, err := c.Get(ctx, kv.New().WithKey(prefix).WithPrefix().WithRev(rev))
	if err != nil {
		t.Fatal(err)
	}
	want := resp.KVs
	if len(want) == 0 {
		want = nil
	}
	if len(got) == 0 {
		got = nil
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mirror at revision %d differs from a get (-get +mirror):\n%s", rev, d)
	}
}
