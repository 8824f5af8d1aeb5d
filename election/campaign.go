package election

import (
	"context"
	"errors"
	"time"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/watch"
)

// Campaign runs for leader of the election r names with r's session
// (election.Name("jobs").WithSession(s).WithValue("node-1")) and returns
// once it leads, or fails. It writes the candidate's key, name + "/" + the
// session's lease in hex, with the value and the lease, unless the key
// exists (then its value is proclaimed if it differs); then it waits until
// every key of the election created before its own is gone, watching only
// the one just before it, as etcd's recipe does: the candidates queue in
// create-revision order and one deletion wakes one candidate.
//
// Campaign waits until ctx ends. A campaign that fails or whose ctx ends
// deletes its key again (guarded by its create revision), also when the
// write's outcome was unknown (then the key is deleted only if it carries
// the session's lease), so a cancelled candidate leaves nothing behind
// (if ctx ends while the create is in flight, Campaign waits for its
// answer, at most 5 s, so that it knows whether there is a key to delete);
// should even that delete fail, the key goes with the lease. If the key is
// deleted while it waits (the session's lease was lost, or someone deleted
// it), Campaign fails with a *LostError.
//
// One session campaigns once per election at a time: two campaigns of one
// session in one election share the key, as in etcd's recipe.
func Campaign(ctx context.Context, c *conn.Conn, r Request) (*Leadership, error) {
	if err := r.checkCampaign(); err != nil {
		return nil, err
	}
	if _, err := connx.Get(c); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, err := sessionLease(ctx, r.session)
	if err != nil {
		return nil, err
	}
	k := LeaderKey{Name: r.name, Key: keyOf(r.name, id), Lease: id}
	put := kv.New().WithKey(k.Key).WithValue(r.value).WithLease(id)
	// The create runs to its answer even when ctx ends meanwhile (bounded
	// by cleanupTimeout): a create cancelled in flight may still be applied
	// after a delete sent at once to clean it up, and would leave the key
	// behind; its answer says for certain whether there is a key.
	tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	resp, err := c.Txn(tctx, op.If(compare.Key(k.Key).CreateRevision(compare.Equal, 0)).
		Then(op.Put(put)).
		Else(op.Get(kv.New().WithKey(k.Key))))
	tcancel()
	if err == nil && ctx.Err() != nil {
		k.Rev = resp.Header.Revision
		if !resp.Succeeded && len(resp.Responses) == 1 && resp.Responses[0].Get != nil && len(resp.Responses[0].Get.KVs) > 0 {
			k.Rev = resp.Responses[0].Get.KVs[0].CreateRevision
		}
		cleanup(ctx, c, k, k.Rev)
		return nil, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, conn.ErrUnknownOutcome) {
			cleanup(ctx, c, k, 0)
		}
		return nil, err
	}
	k.Rev = resp.Header.Revision
	if !resp.Succeeded {
		var kvs []conn.KeyValue
		if len(resp.Responses) == 1 && resp.Responses[0].Get != nil {
			kvs = resp.Responses[0].Get.KVs
		}
		if len(kvs) == 0 {
			return nil, &LostError{Key: k} // cannot happen: the key existed in the same revision
		}
		k.Rev = kvs[0].CreateRevision
		if string(kvs[0].Value) != r.value {
			if _, err := Proclaim(ctx, c, Of(k).WithValue(r.value)); err != nil {
				cleanup(ctx, c, k, k.Rev)
				return nil, err
			}
		}
	}
	l := newLeadership(c, k, r.value, resp.Header)
	go l.track(resp.Header.Revision + 1)
	if err := l.waitTurn(ctx); err != nil {
		l.end(err)
		<-l.done
		// Guarded by the create revision: nothing happens if the key is gone.
		cleanup(ctx, c, k, k.Rev)
		return nil, err
	}
	return l, nil
}

// sessionLease returns the session's current lease, waiting while it
// recovers one.
func sessionLease(ctx context.Context, s *lease.Session) (int64, error) {
	for {
		ch := s.Changed()
		if err := s.Err(); err != nil {
			return 0, err
		}
		if id := s.ID(); id != 0 {
			return id, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// waitTurn waits until no key of the election created before l's remains,
// each time watching the one just before it. It fails when ctx ends or the
// leadership ends (its key was deleted).
func (l *Leadership) waitTurn(ctx context.Context) error {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(l.ctx, func() { cancel(context.Cause(l.ctx)) })
	defer stop()
	// The candidates before l and l itself, newest first: l's key (while it
	// exists), then its predecessor.
	req := kv.New().WithKey(prefixOf(l.key.Name)).WithPrefix().
		WithSort(kv.SortByCreate, kv.SortDescend).WithLimit(2).WithMaxCreateRev(l.key.Rev)
	for {
		g, err := l.c.Get(wctx, req)
		if err != nil {
			return waitErr(wctx, err)
		}
		var pred []byte
		mine := false
		for _, item := range g.KVs {
			switch {
			case string(item.Key) == l.key.Key && item.CreateRevision == l.key.Rev:
				mine = true
			case item.CreateRevision < l.key.Rev && pred == nil:
				pred = item.Key
			}
		}
		switch {
		case !mine:
			l.lost(0, nil)
			return l.Err()
		case pred == nil:
			return nil
		}
		if err := waitDelete(wctx, l.c, string(pred), g.Header.Revision+1); err != nil {
			return waitErr(wctx, err)
		}
	}
}

// waitErr is the error of a wait that failed: the leadership's loss or
// the caller's context, when one of them ended it.
func waitErr(wctx context.Context, err error) error {
	if cause := context.Cause(wctx); cause != nil && wctx.Err() != nil {
		if errors.Is(cause, ErrLost) {
			return cause
		}
	}
	return err
}

// waitDelete waits until key is deleted at revision from or later. A
// compacted watch returns nil, so that the caller reads again.
func waitDelete(ctx context.Context, c *conn.Conn, key string, from int64) error {
	w, err := watch.Open(ctx, c, watch.Key(key).WithStartRevision(from).WithFilterPut())
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		resp, err := w.Next(ctx)
		if err != nil {
			if errors.Is(err, conn.ErrCompacted) {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		for _, ev := range resp.Events {
			if ev.Type == watch.Delete {
				return nil
			}
		}
	}
}

// cleanupTimeout bounds the clean-up of a failed campaign.
const cleanupTimeout = 5 * time.Second

// cleanup deletes a failed campaign's key, even after ctx ended: guarded by
// its create revision rev, or, when rev is 0 (the create's outcome is
// unknown), by its lease. A delete that may be sent again (cleanupRetryable;
// it is guarded, so twice is harmless) is tried until cleanupTimeout; a
// failure is logged and the key goes with the lease.
func cleanup(ctx context.Context, c *conn.Conn, k LeaderKey, rev int64) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	guard := compare.Key(k.Key).Lease(compare.Equal, k.Lease)
	if rev != 0 {
		guard = compare.Key(k.Key).CreateRevision(compare.Equal, rev)
	}
	txn := op.If(guard).Then(op.Delete(kv.New().WithKey(k.Key)))
	backoff := 50 * time.Millisecond
	for {
		_, err := c.Txn(cctx, txn)
		if err == nil {
			return
		}
		if cctx.Err() != nil || !cleanupRetryable(err) {
			if x, xerr := connx.Get(c); xerr == nil {
				x.Logger().Warn("election: cannot delete the key of a failed campaign; it goes with its lease",
					"key", k.Key, "lease", k.Lease, "err", err)
			}
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-cctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, time.Second)
	}
}

// cleanupRetryable says whether a guarded delete may be sent again: its
// outcome is unknown, or the cluster could not take it for now (no member
// ready, an election under way, a proposal timed out, too many requests).
func cleanupRetryable(err error) bool {
	return errors.Is(err, conn.ErrUnknownOutcome) || errors.Is(err, conn.ErrUnavailable) ||
		errors.Is(err, conn.ErrNoLeader) || errors.Is(err, conn.ErrTimeout) || errors.Is(err, conn.ErrTooManyRequests)
}
