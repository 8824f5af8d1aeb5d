package watchtest

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/watch"
)

// TestCompactedStart checks that a watch from a compacted revision ends
// with an error matching conn.ErrCompacted that carries the compact
// revision and the revision it was asked to start from.
func TestCompactedStart(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithDedicated())
	ctx := testCtx(t)
	c := open(t, srv.Endpoints(), conn.Config{})
	var revs []int64
	for i := range 5 {
		r, err := c.Put(ctx, kv.New().WithKey("compact/k").WithValue(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r.Header.Revision)
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(revs[3])); err != nil {
		t.Fatal(err)
	}
	w, err := watch.Open(ctx, c, watch.Key("compact/k").WithStartRevision(revs[1]))
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Next(ctx)
	var e *watch.Error
	if !errors.Is(err, conn.ErrCompacted) || !errors.As(err, &e) || e.CompactRevision != revs[3] || e.Next != revs[1] {
		t.Fatalf("watch from compacted revision %d: %v; want conn.ErrCompacted with compact revision %d and Next %d", revs[1], err, revs[3], revs[1])
	}
	t.Log(err)
	// From the compact revision on, the history is there.
	w, err = watch.Open(ctx, c, watch.Key("compact/k").WithStartRevision(e.CompactRevision))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []int64
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, ev.KV.ModRevision); len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, revs[3:]) {
		t.Errorf("watch from the compact revision delivered revisions %v, want %v", got, revs[3:])
	}
}

// TestMirrorAcrossCompaction holds a mirror's Changes loop still while
// 300 revisions are written, so that the mirror and then its watch fall
// behind and the watch pauses; then the history is compacted. When the
// loop reads again, the paused watch cannot resume from its compacted next
// revision: the mirror must re-list, report a Resync with the differences,
// and end up equal to a fresh get, as must a copy rebuilt from the updates
// alone.
func TestMirrorAcrossCompaction(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithDedicated())
	ctx := testCtx(t)
	c := open(t, srv.Endpoints(), conn.Config{})
	const p = "mirror/"
	for i := range 20 {
		if _, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%02d", p, i)).WithValue("initial")); err != nil {
			t.Fatal(err)
		}
	}
	m, err := watch.OpenMirror(ctx, c, watch.Prefix(p).WithBuffer(16).WithPageSize(7))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	next, stop := iter.Pull2(m.Changes())
	defer stop()
	view := map[string]string{}
	apply := func(u watch.Update) {
		for _, ev := range u.Events {
			if ev.Type == watch.Put {
				view[string(ev.KV.Key)] = string(ev.KV.Value)
			} else {
				delete(view, string(ev.KV.Key))
			}
		}
	}
	first, err, _ := next()
	if err != nil || first.Kind != watch.Initial || len(first.Events) != 20 {
		t.Fatalf("first update %v %d events, %v; want the initial 20 keys", first.Kind, len(first.Events), err)
	}
	apply(first)

	var last int64
	for i := range 300 {
		k := fmt.Sprintf("%s%02d", p, i%30)
		var err error
		if i%7 == 3 {
			var d *conn.DeleteResponse
			d, err = c.Delete(ctx, kv.New().WithKey(k))
			if err == nil {
				last = d.Header.Revision
			}
		} else {
			var pr *conn.PutResponse
			pr, err = c.Put(ctx, kv.New().WithKey(k).WithValue(fmt.Sprint(i)))
			if err == nil {
				last = pr.Header.Revision
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Compact(ctx, kv.New().WithRev(last)); err != nil {
		t.Fatal(err)
	}
	resyncs := 0
	for m.Revision() < last || resyncs == 0 {
		u, err, ok := next()
		if !ok || err != nil {
			t.Fatalf("mirror ended: %v", err)
		}
		if u.Kind == watch.Resync {
			resyncs++
			t.Logf("resync at revision %d with %d differences", u.Revision, len(u.Events))
		}
		apply(u)
	}
	if resyncs != 1 {
		t.Errorf("%d resyncs, want 1", resyncs)
	}
	checkMirror(t, ctx, c, m, p)
	resp, err := c.Get(ctx, kv.New().WithKey(p).WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, k := range resp.KVs {
		want[string(k.Key)] = string(k.Value)
	}
	if d := cmp.Diff(want, view); d != "" {
		t.Errorf("copy rebuilt from the updates differs from a get (-get +copy):\n%s", d)
	}
	if keys := slices.Sorted(maps.Keys(view)); len(keys) != m.Len() {
		t.Errorf("rebuilt copy has %d keys, mirror %d", len(keys), m.Len())
	}
}
