// Election shows leader election: two workers campaign for the same job;
// the leader does the work, writing each result only while it leads (its
// writes carry the leadership's guard), and an observer prints every change
// of leader. The leader then dies without a word; when its lease expires,
// one TTL later, the follower takes over and carries on where it stopped,
// and a late write of the dead leader is refused. At last the new leader
// resigns cleanly and the election is vacant.
//
//	go run ./examples/election
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/registry"
)

// main hands run to demo.Main (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Main("election", time.Minute, run)
}

const (
	name    = "examples/election/job" // the election
	counter = "examples/election/counter"
	ttl     = 2 // seconds: how long a dead leader blocks the job
)

// printer serialises the output of the workers and the observer.
type printer struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *printer) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	p := &printer{out: out}
	reg := registry.New()
	defer reg.CloseAll()
	// One connection per worker, as two processes would have, and one for
	// the observer.
	for _, n := range []string{"worker-a", "worker-b", "observer"} {
		if _, err := reg.Open(ctx, n, conn.Config{Endpoints: endpoints}); err != nil {
			return err
		}
	}
	obsConn, _ := reg.Lookup("observer")
	_, _ = obsConn.Delete(ctx, kv.New().WithKey(name+"/").WithPrefix()) // start clean
	_, _ = obsConn.Put(ctx, kv.New().WithKey(counter).WithValue("0"))

	// The observer prints every change of leader until the run ends.
	octx, stopObserving := context.WithCancel(ctx)
	defer stopObserving()
	observed := make(chan struct{})
	changes, err := registry.CallIn(octx, reg, election.Observe, election.Name(name).On("observer"))
	if err != nil {
		return err
	}
	vacant := make(chan struct{}, 10)
	go func() {
		defer close(observed)
		for li, err := range changes {
			switch {
			case err != nil:
				return // the run is over
			case li.Vacant():
				p.say("observer: no leader")
				vacant <- struct{}{}
			default:
				p.say("observer: leader is %s (token %d)", li.Value(), li.Rev())
			}
		}
	}()
	defer func() { stopObserving(); <-observed }()
	<-vacant // the observer is in place

	// Both workers campaign; a first, so that it leads.
	sa, err := registry.CallIn(ctx, reg, lease.NewSession, lease.On("worker-a").WithTTL(ttl))
	if err != nil {
		return err
	}
	defer sa.Close()
	a, err := registry.CallIn(ctx, reg, election.Campaign, election.Name(name).WithSession(sa).WithValue("worker-a").On("worker-a"))
	if err != nil {
		return err
	}
	p.say("worker-a: leading with token %d", a.Rev())
	sb, err := registry.CallIn(ctx, reg, lease.NewSession, lease.On("worker-b").WithTTL(ttl))
	if err != nil {
		return err
	}
	defer sb.Close()
	bch := make(chan *election.Leadership, 1)
	berr := make(chan error, 1)
	go func() {
		p.say("worker-b: campaigning (waits behind worker-a)")
		l, err := registry.CallIn(ctx, reg, election.Campaign, election.Name(name).WithSession(sb).WithValue("worker-b").On("worker-b"))
		if err != nil {
			berr <- err
			return
		}
		bch <- l
	}()

	ca, _ := reg.Lookup("worker-a")
	for range 3 {
		if err := work(ctx, p, ca, "worker-a", a); err != nil {
			return err
		}
	}

	// Worker a dies without a word: its connection goes, nobody revokes its
	// lease, and the job waits until the lease expires.
	died := time.Now()
	_ = ca.Close()
	p.say("worker-a: died (connection gone; its lease expires in %ds)", ttl)
	var b *election.Leadership
	select {
	case b = <-bch:
	case err := <-berr:
		return err
	}
	p.say("worker-b: leading with token %d, %v after worker-a died", b.Rev(), roundish(time.Since(died)))
	cb, _ := reg.Lookup("worker-b")
	for range 2 {
		if err := work(ctx, p, cb, "worker-b", b); err != nil {
			return err
		}
	}

	// A write worker-a had prepared arrives late, on another connection:
	// its guard no longer holds, and nothing is written.
	late, err := obsConn.Txn(ctx, op.If(a.Guard()).Then(op.Put(kv.New().WithKey(counter).WithValue("999"))))
	if err != nil {
		return err
	}
	p.say("worker-a's late write with token %d: applied=%v", a.Rev(), late.Succeeded)
	if <-a.Done(); !errors.Is(a.Err(), election.ErrLost) {
		return fmt.Errorf("worker-a's leadership ended with %v, want ErrLost", a.Err())
	}

	// Worker b hands over cleanly.
	if _, err := b.Resign(ctx); err != nil {
		return err
	}
	p.say("worker-b: resigned")
	select {
	case <-vacant:
	case <-ctx.Done():
		return ctx.Err()
	}
	g, err := obsConn.Get(ctx, kv.New().WithKey(counter))
	if err != nil {
		return err
	}
	p.say("counter is %s", g.KVs[0].Value)
	return nil
}

// work is one unit of the job: increment the counter, only while l leads
// (and only if nobody changed it meanwhile).
func work(ctx context.Context, p *printer, c *conn.Conn, who string, l *election.Leadership) error {
	g, err := c.Get(ctx, kv.New().WithKey(counter))
	if err != nil {
		return err
	}
	cur := g.KVs[0]
	n, _ := strconv.Atoi(string(cur.Value))
	resp, err := c.Txn(ctx, op.If(l.Guard(), compare.Key(counter).ModRevision(compare.Equal, cur.ModRevision)).
		Then(op.Put(kv.New().WithKey(counter).WithValue(strconv.Itoa(n+1)))))
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s: guarded write refused while leading", who)
	}
	p.say("%s: counter %d -> %d", who, n, n+1)
	time.Sleep(100 * time.Millisecond)
	return nil
}

// roundish rounds a duration for printing: the run's timings vary.
func roundish(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
