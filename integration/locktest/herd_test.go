package locktest

import (
	"context"
	"sync/atomic"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/lock"
)

// events counts the watch events a connection receives, through a gRPC
// stats handler: what the server sent, not what the lock package says.
// Events on the key skip names are not counted: a held Mutex watches its
// own key, and may hear of its own release.
type events struct {
	n    atomic.Int64
	skip atomic.Pointer[string]
}

func (e *events) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (e *events) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok && in.Client {
		if wr, ok := in.Payload.(*pb.WatchResponse); ok {
			for _, ev := range wr.Events {
				if skip := e.skip.Load(); skip == nil || string(ev.Kv.Key) != *skip {
					e.n.Add(1)
				}
			}
		}
	}
}
func (e *events) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (e *events) HandleConn(context.Context, stats.ConnStats)                       {}

// No herd: a waiter watches the key just before its own, so it hears of
// that key's deletion alone. With a holder and two waiters queued, the
// second waiter receives exactly one watch event on another key than its
// own (the first waiter's release) before it gets the lock, not the
// holder's release too.
func TestNoHerd(t *testing.T) {
	ctx := testCtx(t)
	lockName := name(t, "lock")
	c := open(t)
	holder, err := lock.Lock(ctx, c, lock.New(lockName).WithSession(session(t, c, 30)))
	if err != nil {
		t.Fatal(err)
	}
	var waiters [2]struct {
		c      *conn.Conn
		events *events
		done   chan result
	}
	for i := range waiters {
		w := &waiters[i]
		w.events = &events{}
		w.c, err = conn.New(ctx, conn.Config{Endpoints: shared.Endpoints(), DialOptions: []grpc.DialOption{grpc.WithStatsHandler(w.events)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = w.c.Close() })
		w.done = make(chan result, 1)
		s := session(t, w.c, 30)
		req := lock.New(lockName).WithSession(s)
		own := req.KeyFor(s.ID())
		w.events.skip.Store(&own)
		go func() {
			m, err := lock.Lock(ctx, w.c, req)
			w.done <- result{m, err}
		}()
		waitKeys(ctx, t, c, lockName, i+2)
	}
	if err := holder.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	r1 := <-waiters[0].done
	if r1.err != nil {
		t.Fatal(r1.err)
	}
	if err := r1.m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := <-waiters[1].done
	if r2.err != nil {
		t.Fatal(r2.err)
	}
	if err := r2.m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if n := waiters[0].events.n.Load(); n != 1 {
		t.Errorf("first waiter received %d watch events, want 1 (the holder's release)", n)
	}
	if n := waiters[1].events.n.Load(); n != 1 {
		t.Errorf("second waiter received %d watch events, want 1 (the first waiter's release alone)", n)
	}
}
