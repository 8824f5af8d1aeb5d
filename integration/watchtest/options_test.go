package watchtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/watch"
)

// TestFilters checks that each filter drops exactly its kind of event:
// the no-put watch sees only the deletes, the no-delete watch only the puts.
func TestFilters(t *testing.T) {
	ctx := testCtx(t)
	c := open(t, nil, conn.Config{})
	p := prefix(t)
	// Open returns before the server creates the watch; a start revision
	// makes the watches see every change after the get.
	now, err := c.Get(ctx, kv.New().WithKey(p))
	if err != nil {
		t.Fatal(err)
	}
	from := now.Header.Revision + 1
	noPut, err := watch.Open(ctx, c, watch.Prefix(p).WithFilterPut().WithStartRevision(from))
	if err != nil {
		t.Fatal(err)
	}
	noDel, err := watch.Open(ctx, c, watch.Prefix(p).WithFilterDelete().WithStartRevision(from))
	if err != nil {
		t.Fatal(err)
	}
	all, err := watch.Open(ctx, c, watch.Prefix(p).WithStartRevision(from))
	if err != nil {
		t.Fatal(err)
	}
	var want [2][]string
	for i := range 5 {
		k := fmt.Sprintf("%s%d", p, i)
		if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("v")); err != nil {
			t.Fatal(err)
		}
		want[1] = append(want[1], "PUT "+k)
		if i%2 == 0 {
			if _, err := c.Delete(ctx, kv.New().WithKey(k)); err != nil {
				t.Fatal(err)
			}
			want[0] = append(want[0], "DELETE "+k)
		}
	}
	read := func(w *watch.Watcher, n int) []string {
		var out []string
		for ev, err := range w.Events() {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev.Type.String()+" "+string(ev.KV.Key))
			if len(out) == n {
				break
			}
		}
		return out
	}
	// The unfiltered watch has seen the last event once it has all 8, so
	// the filtered ones have too (one stream, one order).
	if got := read(all, 8); len(got) != 8 {
		t.Fatalf("unfiltered: %v", got)
	}
	for i, w := range []*watch.Watcher{noPut, noDel} {
		got := read(w, len(want[i]))
		if strings.Join(got, ",") != strings.Join(want[i], ",") {
			t.Errorf("filter %d: got %v, want %v", i, got, want[i])
		}
		if r, err := nextNow(w); err == nil {
			t.Errorf("filter %d: one more response %+v", i, r)
		}
	}
}

// nextNow returns a response already buffered, or an error at once.
func nextNow(w *watch.Watcher) (watch.Response, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return w.Next(ctx)
}

// TestFragment writes 720 KiB in 12 transactions of 4 puts to a server
// whose fragment threshold is 576 KiB (--max-request-bytes 64 KiB plus
// gRPC's 512 KiB allowance), then watches them from the first revision:
// the server's catch-up response is too large, so with WithFragment it
// arrives in fragments, one of which ends inside a transaction. Every
// Response delivered must still hold whole revisions, and all 48 events
// must arrive in order. Without the option the same response arrives
// whole.
func TestFragment(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithMaxRequestBytes(64<<10))
	ctx := testCtx(t)
	writer := open(t, srv.Endpoints(), conn.Config{})
	value := strings.Repeat("x", 15<<10)
	const txns, perTxn, threshold = 12, 4, 576 << 10
	var first, last int64
	for i := range txns {
		ops := make([]op.Op, perTxn)
		for j := range ops {
			ops[j] = op.Put(kv.New().WithKey(fmt.Sprintf("frag/%02d/%d", i, j)).WithValue(value))
		}
		r, err := writer.Txn(ctx, op.NewTxn().Then(ops...))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r.Header.Revision
		}
		last = r.Header.Revision
	}
	for _, fragment := range []bool{true, false} {
		st := &streamStats{}
		c := open(t, srv.Endpoints(), st.config())
		r := watch.Prefix("frag/").WithStartRevision(first)
		if fragment {
			r = r.WithFragment()
		}
		w, err := watch.Open(ctx, c, r)
		if err != nil {
			t.Fatal(err)
		}
		var got, responses int
		for got < txns*perTxn {
			resp, err := w.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			responses++
			if len(resp.Events)%perTxn != 0 {
				t.Errorf("a response with %d events: a transaction was split", len(resp.Events))
			}
			for _, ev := range resp.Events {
				if ev.KV.ModRevision != first+int64(got/perTxn) || string(ev.KV.Key) != fmt.Sprintf("frag/%02d/%d", got/perTxn, got%perTxn) {
					t.Fatalf("event %d: %s at revision %d", got, ev.KV.Key, ev.KV.ModRevision)
				}
				got++
			}
		}
		w.Close()
		s := st.snapshot()
		t.Logf("fragment=%v: %d watch messages received (%d fragments, largest %d KiB), %d responses delivered, revisions %d to %d",
			fragment, s.responses, s.fragments, s.largestMsg>>10, responses, first, last)
		switch {
		case fragment && (s.fragments == 0 || s.largestMsg >= threshold):
			t.Errorf("with WithFragment: %d fragments, largest message %d bytes; want fragments under 576 KiB", s.fragments, s.largestMsg)
		case !fragment && (s.fragments != 0 || s.largestMsg < threshold):
			t.Errorf("without WithFragment: %d fragments, largest message %d bytes; want one large message", s.fragments, s.largestMsg)
		}
	}
}

// TestProgressNotify checks that a watch with WithProgressNotify gets
// progress notifications (every 300ms on the embedded server, see
// TestMain) while its key is idle and other keys change, that they carry
// the store's revision, and that a watch without the option on the same
// stream gets none.
func TestProgressNotify(t *testing.T) {
	ctx := testCtx(t)
	c := open(t, nil, conn.Config{})
	p := prefix(t)
	with, err := watch.Open(ctx, c, watch.Key(p+"idle").WithProgressNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close()
	without, err := watch.Open(ctx, c, watch.Key(p+"idle"))
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close()
	put, err := c.Put(ctx, kv.New().WithKey(p+"other").WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	var notes int
	for notes < 2 {
		r, err := with.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Progress || len(r.Events) != 0 {
			t.Fatalf("got %+v, want a progress notification", r)
		}
		if r.Header.Revision >= put.Header.Revision {
			notes++
		}
	}
	if r, err := nextNow(without); err == nil {
		t.Errorf("the watch without WithProgressNotify got %+v", r)
	}
}

// TestRequestProgress checks that RequestProgress brings a progress
// notification at the store's revision to every watch of the stream, and
// that it moves the revision a watch would resume from.
func TestRequestProgress(t *testing.T) {
	ctx := testCtx(t)
	st := &streamStats{}
	c := open(t, nil, st.config())
	p := prefix(t)
	w1, err := watch.Open(ctx, c, watch.Key(p+"idle").WithCreatedNotify())
	if err != nil {
		t.Fatal(err)
	}
	w2, err := watch.Open(ctx, c, watch.Prefix(p+"idle/").WithCreatedNotify())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*watch.Watcher{w1, w2} {
		if r, err := w.Next(ctx); err != nil || !r.Created {
			t.Fatalf("%+v, %v; want created", r, err)
		}
	}
	put, err := c.Put(ctx, kv.New().WithKey(p+"other").WithValue("v"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w1.RequestProgress(ctx); err != nil {
		t.Fatal(err)
	}
	for i, w := range []*watch.Watcher{w1, w2} {
		r, err := w.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Progress || r.Header.Revision < put.Header.Revision {
			t.Fatalf("watch %d: %+v; want progress at %d or later", i, r, put.Header.Revision)
		}
		w.Close()
		var e *watch.Error
		if !errors.As(w.Err(), &e) || e.Next != r.Header.Revision+1 {
			t.Errorf("watch %d closed with %v; want Next %d", i, w.Err(), r.Header.Revision+1)
		}
	}
	if s := st.snapshot(); s.progress != 1 {
		t.Errorf("%d progress requests sent, want 1", s.progress)
	}
}

// TestCreatedNotifyAndStartRevision checks WithCreatedNotify (a first
// Created response at the store's revision) and WithStartRevision (past
// events delivered).
func TestCreatedNotifyAndStartRevision(t *testing.T) {
	ctx := testCtx(t)
	c := open(t, nil, conn.Config{})
	p := prefix(t)
	var revs []int64
	for i := range 3 {
		r, err := c.Put(ctx, kv.New().WithKey(p+"k").WithValue(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r.Header.Revision)
	}
	w, err := watch.Open(ctx, c, watch.Key(p+"k").WithStartRevision(revs[1]).WithCreatedNotify().WithPrevKV())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := w.Next(ctx)
	if err != nil || !r.Created || len(r.Events) != 0 || r.Header.Revision < revs[2] {
		t.Fatalf("first response %+v, %v; want created at %d or later", r, err, revs[2])
	}
	var got []string
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s<-%s", ev.KV.ModRevision, ev.KV.Value, ev.PrevKV.Value))
		if len(got) == 2 {
			break
		}
	}
	if want := fmt.Sprintf("%d:1<-0 %d:2<-1", revs[1], revs[2]); strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}

	plain, err := watch.Open(ctx, c, watch.Key(p+"k").WithStartRevision(revs[2]+1))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := c.Put(ctx, kv.New().WithKey(p+"k").WithValue("3")); err != nil {
		t.Fatal(err)
	}
	if r, err := plain.Next(ctx); err != nil || r.Created || len(r.Events) != 1 {
		t.Errorf("without WithCreatedNotify the first response is %+v, %v; want the event", r, err)
	}
}

// TestWatchID checks that WithWatchID reaches the server and that a second
// watch with the same ID on the stream ends with ErrIDInUse.
func TestWatchID(t *testing.T) {
	ctx := testCtx(t)
	st := &streamStats{}
	c := open(t, nil, st.config())
	p := prefix(t)
	w1, err := watch.Open(ctx, c, watch.Key(p+"k").WithWatchID(4242).WithCreatedNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Close()
	if r, err := w1.Next(ctx); err != nil || !r.Created {
		t.Fatalf("%+v, %v", r, err)
	}
	if s := st.snapshot(); len(s.creates) != 1 || s.creates[0].WatchId != 4242 {
		t.Fatalf("create requests %v; want one with watch_id 4242", s.creates)
	}
	if w2, err := watch.Open(ctx, c, watch.Key(p+"k").WithWatchID(4242)); !errors.Is(err, watch.ErrIDInUse) || w2 != nil {
		t.Errorf("second watch with the same ID: %v, %v; want ErrIDInUse", w2, err)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(p+"k").WithValue("v")); err != nil {
		t.Fatal(err)
	}
	if r, err := w1.Next(ctx); err != nil || len(r.Events) != 1 {
		t.Errorf("first watch after the conflict: %+v, %v", r, err)
	}
}

// TestByName runs Open and OpenMirror by connection name.
func TestByName(t *testing.T) {
	ctx := testCtx(t)
	reg := registry.New()
	defer reg.CloseAll()
	name := "watchtest-by-name"
	c, err := reg.Open(ctx, name, conn.Config{Endpoints: shared.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	p := prefix(t)
	w, err := registry.CallIn(ctx, reg, watch.Open, watch.Prefix(p).WithCreatedNotify().On(name))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := w.Next(ctx); err != nil || !r.Created {
		t.Fatalf("%+v, %v; want created", r, err)
	}
	defer w.Close()
	m, err := registry.CallIn(ctx, reg, watch.OpenMirror, watch.On(name).WithKey(p).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	put, err := c.Put(ctx, kv.New().WithKey(p+"a").WithValue("1"))
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := w.Next(ctx); err != nil || len(ev.Events) != 1 {
		t.Fatalf("%+v, %v", ev, err)
	}
	for u, err := range m.Changes() {
		if err != nil {
			t.Fatal(err)
		}
		if u.Revision >= put.Header.Revision {
			break
		}
	}
	if kv, ok := m.Get(p + "a"); !ok || string(kv.Value) != "1" {
		t.Errorf("mirror Get: %+v, %v", kv, ok)
	}
	if _, err := registry.CallIn(ctx, reg, watch.Open, watch.Prefix(p).On("no-such-name")); err == nil {
		t.Error("Open on an unknown name succeeded")
	}
}
