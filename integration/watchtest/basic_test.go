package watchtest

import (
	"testing"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/watch"
)

func TestBasic(t *testing.T) {
	ctx := testCtx(t)
	c := open(t, nil, conn0())
	p := prefix(t)
	w, err := watch.Open(ctx, c, watch.Prefix(p).WithPrevKV().WithCreatedNotify())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := w.Next(ctx)
	if err != nil || !r.Created {
		t.Fatalf("first response %+v, %v; want created", r, err)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(p+"a").WithValue("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(p+"a").WithValue("2")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, kv.New().WithKey(p+"a")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		s := ev.Type.String() + " " + string(ev.KV.Key) + "=" + string(ev.KV.Value)
		if ev.PrevKV != nil {
			s += " prev=" + string(ev.PrevKV.Value)
		}
		got = append(got, s)
		if len(got) == 3 {
			break
		}
	}
	t.Log(got)
}
