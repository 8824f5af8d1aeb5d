package coalescetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/registry"
)

// TestStatsByName: the counts of a named connection, through the registry,
// and of one that does not coalesce.
func TestStatsByName(t *testing.T) {
	reg := registry.New()
	t.Cleanup(func() { _ = reg.CloseAll() })
	ctx := testCtx(t)
	if _, err := reg.Open(ctx, "batched", conn.Config{Endpoints: shared.Endpoints(),
		Coalescing: conn.Coalescing{Enabled: true, MaxOps: 4, MaxInFlight: 1, Window: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Open(ctx, "plain", conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	p := prefix(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := reg.Put(ctx, kv.On("batched").WithKey(fmt.Sprintf("%s%d", p, i)).WithValue("v")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := reg.Put(ctx, kv.On("plain").WithKey(p+"plain").WithValue("v")); err != nil {
		t.Fatal(err)
	}
	got := reg.Stats()
	if len(got) != 2 || got[0].Name != "batched" || got[1].Name != "plain" {
		t.Fatalf("stats %+v, want batched then plain", got)
	}
	b := got[0].Coalescing
	if !b.Enabled || b.Batches != 1 || b.Batched != 4 || b.MaxBatch != 4 || b.PerBatch() != 4 || b.Waited <= 0 || b.Queued != 0 {
		t.Errorf("batched: %+v, want one batch of 4 that waited", b)
	}
	if got[1].Coalescing != (conn.CoalesceStats{}) || got[1].Coalescing.String() != "coalescing off" {
		t.Errorf("plain: %+v (%v), want off", got[1].Coalescing, got[1].Coalescing)
	}
	t.Log(b)
}

// TestGeneratedMessagesTurnsItOff: coalescing needs getcd's codec.
func TestGeneratedMessagesTurnsItOff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(), GeneratedMessages: true,
		Coalescing: conn.Coalescing{Enabled: true, MaxOps: 2, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// With coalescing on, this put would wait a minute for a second one.
	pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
	defer pcancel()
	if _, err := c.Put(pctx, kv.New().WithKey(prefix(t)).WithValue("v")); err != nil {
		t.Fatal(err)
	}
	if st := c.CoalesceStats(); st.Enabled {
		t.Errorf("stats %v, want off", st)
	}
}
