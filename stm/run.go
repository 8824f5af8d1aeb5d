package stm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/op"
)

// Run runs the transaction req describes on c: it calls req's function with
// a fresh attempt, commits what it read and wrote in one etcd transaction,
// and on a conflict pauses (see Backoff) and runs the function again, at
// most req.MaxAttempts() times in all. It returns when the commit succeeds,
// when the function returns an error (returned unchanged, nothing written),
// when a read or the commit fails, when the attempts run out (a
// *ConflictError) or when ctx ends.
//
// The function runs on the calling goroutine; if it panics, the panic goes
// up through Run unchanged and nothing is written. A commit whose fate is
// unknown (the connection failed or ctx ended after it was sent) returns an
// error matching conn.ErrUnknownOutcome and is not run again: it may have
// been applied.
//
// Run has the shape registry.Call expects, so a request carrying a
// connection name (On, WithConn) can be run by name.
func Run(ctx context.Context, c *conn.Conn, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	if c == nil {
		return Result{}, invalid("conn", "nil *conn.Conn")
	}
	tx := &Tx{c: c, iso: req.iso, reads: map[string]entry{}, writes: map[string]write{}}
	defer tx.end()
	var pre *view
	if len(req.prefetch) > 0 {
		spans := make([]span, 0, len(req.prefetch))
		for _, k := range req.prefetch {
			if !slices.ContainsFunc(spans, func(s span) bool { return s.key == k }) {
				spans = append(spans, single(k))
			}
		}
		v, err := read(ctx, c, req, spans)
		if err != nil {
			return Result{}, fmt.Errorf("stm: prefetch: %w", err)
		}
		pre = v
	}
	maxAttempts := req.MaxAttempts()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{Attempts: attempt - 1}, fmt.Errorf("stm: stopped before attempt %d: %w", attempt, err)
		}
		tx.begin(attempt, pre)
		ferr := req.fn(ctx, tx)
		tx.end()
		var out outcome
		switch {
		case tx.stale:
			// The snapshot was compacted under the attempt: start afresh.
			pre = nil
		case ferr != nil:
			return Result{Attempts: attempt}, ferr
		case tx.err != nil:
			return Result{Attempts: attempt}, tx.err
		default:
			var err error
			out, err = tx.commit(ctx, req)
			out.res.Attempts = attempt
			if err != nil || out.res.Committed {
				return out.res, err
			}
			pre = out.next
		}
		if attempt >= maxAttempts {
			return Result{Attempts: attempt}, &ConflictError{Attempts: attempt, Keys: out.changed}
		}
		d := req.backoff.delay(attempt)
		if req.onRetry != nil {
			req.onRetry(Retry{Attempt: attempt, Keys: slices.Clone(out.changed), Delay: d})
		}
		if err := sleep(ctx, d); err != nil {
			return Result{Attempts: attempt}, fmt.Errorf("stm: stopped after %d attempts: %w", attempt, err)
		}
		if d > 0 && pre != nil {
			// What the failure branch read is older than the pause: under
			// contention it has most likely changed again. Read the same
			// keys afresh, in one round trip.
			v, err := read(ctx, c, req, pre.spans)
			if err != nil {
				return Result{Attempts: attempt}, fmt.Errorf("stm: read before attempt %d: %w", attempt+1, err)
			}
			pre = v
		}
	}
}

// read reads spans in one transaction that writes nothing: the prefetch
// before the first attempt, or the keys of the last one after a pause.
func read(ctx context.Context, c *conn.Conn, req Request, spans []span) (*view, error) {
	gets := make([]op.Op, len(spans))
	for i, s := range spans {
		gets[i] = op.Get(s.request())
	}
	resp, err := c.Txn(ctx, op.NewTxn().Then(gets...).WithMaxOps(req.maxOps))
	if err != nil {
		return nil, err
	}
	return newView(resp.Header.Revision, spans, resp.Responses), nil
}

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
