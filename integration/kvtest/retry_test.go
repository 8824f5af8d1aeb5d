package kvtest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// TestReadsRetryWritesDoNot sends calls over two endpoints of the same
// server, one through a proxy. The proxy black-holes its traffic, so calls
// routed through it hang with their bytes sent, then resets every
// connection. Reads caught there must be retried on the direct endpoint and
// succeed; writes caught there must fail with ErrUnknownOutcome and must
// never be applied twice.
func TestReadsRetryWritesDoNot(t *testing.T) {
	px, err := etcdtest.NewProxy(shared.Endpoints()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	c := open(t, nil, conn.Config{Endpoints: []string{px.Addr(), shared.Endpoints()[0]}})
	ctx := testCtx(t)
	p := prefix(t)
	if _, err := c.Put(ctx, kv.New().WithKey(p+"r").WithValue("x")); err != nil {
		t.Fatal(err)
	}

	// cut runs calls while the proxy holds its traffic, batch after batch,
	// until some are stuck in the proxy (calls on the direct endpoint finish
	// in milliseconds), then resets the proxy so the stuck ones fail there.
	cut := func(n int, call func(i int)) {
		waitRouted(t, c, px, p+"r")
		px.Blackhole(etcdtest.Both)
		var (
			wg      sync.WaitGroup
			pending atomic.Int32
		)
		for batch := 0; batch < 20 && pending.Load() == 0; batch++ {
			for i := range n {
				wg.Add(1)
				pending.Add(1)
				go func() {
					defer wg.Done()
					defer pending.Add(-1)
					call(batch*n + i)
				}()
			}
			time.Sleep(200 * time.Millisecond)
		}
		if pending.Load() == 0 {
			t.Errorf("no call was routed through the proxy")
		}
		px.CloseConnections()
		px.Heal()
		wg.Wait()
	}

	var readErrs atomic.Int32
	cut(16, func(i int) {
		r, err := c.Get(ctx, kv.New().WithKey(p+"r"))
		if err != nil || len(r.KVs) != 1 {
			readErrs.Add(1)
			t.Errorf("read %d: %v", i, err)
		}
	})

	var (
		unknown, ok atomic.Int32
		mu          sync.Mutex
		applied     = map[string]bool{}
	)
	cut(16, func(i int) {
		k := fmt.Sprintf("%sw%02d", p, i)
		_, err := c.Put(ctx, kv.New().WithKey(k).WithValue("v"))
		switch {
		case err == nil:
			ok.Add(1)
			mu.Lock()
			applied[k] = true
			mu.Unlock()
		case errors.Is(err, conn.ErrUnknownOutcome):
			unknown.Add(1)
		default:
			t.Errorf("write %d failed without saying its outcome is unknown: %v", i, err)
		}
	})
	if unknown.Load() == 0 {
		t.Errorf("no write was caught in the proxy; want some with an unknown outcome")
	}
	r, err := c.Get(ctx, kv.New().WithKey(p+"w").WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, k := range r.KVs {
		got[string(k.Key)] = true
		if k.Version != 1 {
			t.Errorf("%s was written %d times", k.Key, k.Version)
		}
	}
	for k := range applied {
		if !got[k] {
			t.Errorf("acknowledged write %s is missing", k)
		}
	}
	t.Logf("reads: all ok; writes: %d ok, %d with unknown outcome (of which %d applied)",
		ok.Load(), unknown.Load(), len(got)-len(applied))
}

// waitRouted waits until round robin sends calls through the proxy: an
// endpoint whose transport is up is still left out until its health check
// has answered.
func waitRouted(t *testing.T, c *conn.Conn, px *etcdtest.Proxy, key string) {
	t.Helper()
	waitActive(t, c)
	for range 500 {
		before := px.Stats().Passed
		for range 4 {
			if _, err := c.Get(testCtx(t), kv.New().WithKey(key)); err != nil {
				t.Fatal(err)
			}
		}
		if px.Stats().Passed > before {
			return
		}
		sleepBriefly()
	}
	t.Fatalf("no call went through the proxy")
}

// waitActive waits until every endpoint of c is active.
func waitActive(t *testing.T, c *conn.Conn) {
	t.Helper()
	for range 500 {
		all := true
		for _, st := range c.Status() {
			all = all && st.State == conn.StateActive
		}
		if all {
			return
		}
		sleepBriefly()
	}
	t.Fatalf("endpoints never all active: %+v", c.Status())
}
