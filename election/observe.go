package election

import (
	"context"
	"errors"
	"iter"
	"slices"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/watch"
)

// Observe follows who leads the election r names (election.Name("jobs")).
// It returns at once; the returned iterator does the work. Each loop over
// it lists the election's candidates, yields the current leader (a Vacant
// LeaderInfo when there is no candidate), then watches the election's
// prefix from the next revision and yields every change: a new leader (a
// different key or create revision), a new value proclaimed by the leader,
// or the election becoming vacant. Each change is yielded once, in revision
// order, with Header.Revision the revision it happened at; puts that leave
// the leader's value as it was are not changes.
//
// The watch resumes across reconnects, member restarts and failovers from
// the revision after the last one it saw, so no change is missed or
// repeated. If that revision was compacted meanwhile, the candidates are
// listed again and a leader that differs from the last one yielded is
// reported (the changes in the compacted gap are then summed up in one).
//
// The loop ends when ctx ends, when the connection closes or when the
// server refuses the watch: the last pair holds the error. Leaving the loop
// early ends the watch. ctx governs every loop.
func Observe(ctx context.Context, c *conn.Conn, r Request) (iter.Seq2[LeaderInfo, error], error) {
	if err := r.checkName("observe", observeOpts); err != nil {
		return nil, err
	}
	if err := usable(c); err != nil {
		return nil, err
	}
	prefix := prefixOf(r.name)
	return func(yield func(LeaderInfo, error) bool) {
		o := &observer{c: c, prefix: prefix, yield: yield}
		o.run(ctx)
	}, nil
}

// observer is one loop of Observe: the election's candidates in create
// revision order (a new key always has the highest create revision, so it
// goes last) and the leader it last yielded.
type observer struct {
	c       *conn.Conn
	prefix  string
	yield   func(LeaderInfo, error) bool
	cands   []conn.KeyValue
	last    LeaderInfo
	started bool
}

func (o *observer) run(ctx context.Context) {
	for {
		g, err := o.c.Get(ctx, kv.New().WithKey(o.prefix).WithPrefix().WithSort(kv.SortByCreate, kv.SortAscend))
		if err != nil {
			o.yield(LeaderInfo{}, err)
			return
		}
		o.cands = g.KVs
		if !o.report(g.Header) {
			return
		}
		w, err := watch.Open(ctx, o.c, watch.Prefix(o.prefix).WithStartRevision(g.Header.Revision+1))
		if err != nil {
			o.yield(LeaderInfo{}, err)
			return
		}
		if !o.followOnce(ctx, w) {
			return
		}
	}
}

// followOnce follows w and closes it however follow ends, a panic of the
// caller's loop body (raised through yield) included.
func (o *observer) followOnce(ctx context.Context, w *watch.Watcher) bool {
	defer w.Close()
	return o.follow(ctx, w)
}

// follow applies w's events revision by revision and reports changes. It
// returns true when the watch was compacted and the candidates must be
// listed again.
func (o *observer) follow(ctx context.Context, w *watch.Watcher) bool {
	for {
		resp, err := w.Next(ctx)
		if err != nil {
			if errors.Is(err, conn.ErrCompacted) && ctx.Err() == nil {
				return true
			}
			o.yield(LeaderInfo{}, err)
			return false
		}
		evs := resp.Events
		for i := 0; i < len(evs); {
			rev := evs[i].KV.ModRevision
			for ; i < len(evs) && evs[i].KV.ModRevision == rev; i++ {
				o.apply(evs[i])
			}
			h := resp.Header
			h.Revision = rev
			if !o.report(h) {
				return false
			}
		}
	}
}

// apply changes the candidates by one event.
func (o *observer) apply(ev watch.Event) {
	i := slices.IndexFunc(o.cands, func(c conn.KeyValue) bool { return string(c.Key) == string(ev.KV.Key) })
	switch {
	case ev.Type == watch.Delete:
		if i >= 0 {
			o.cands = slices.Delete(o.cands, i, i+1)
		}
	case i >= 0 && o.cands[i].CreateRevision == ev.KV.CreateRevision:
		o.cands[i] = ev.KV
	default:
		if i >= 0 {
			o.cands = slices.Delete(o.cands, i, i+1)
		}
		o.cands = append(o.cands, ev.KV)
	}
}

// report yields the current leader, as of h, if it differs from the last
// one yielded. It returns false when the loop was left.
func (o *observer) report(h conn.Header) bool {
	cur := LeaderInfo{Header: h}
	if len(o.cands) > 0 {
		cur.KV = o.cands[0]
	}
	if o.started && cur.same(o.last) {
		return true
	}
	o.started, o.last = true, cur
	return o.yield(cur, nil)
}
