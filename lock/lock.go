package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/watch"
)

// Lock takes the lock r names (lock.New(prefix).WithSession(s)), waiting
// until it is free, and returns a Mutex that holds it. Waiters are served in
// the order their keys were created; each waits for the deletion of the key
// just before its own alone, so releasing a lock wakes one waiter.
//
// When ctx ends while Lock waits, Lock deletes the key it created and
// returns ctx's error (if ctx ends while the key's creation is in flight,
// Lock first waits for its answer, at most the session's TTL within 1–10 s,
// so that it knows whether there is a key to delete); a key whose creation
// had an unknown outcome is looked up and deleted too. If the session's lease is lost before the key is
// created or while Lock waits, Lock returns a *LostError. Lock's shape lets registry.Call run it by the
// connection name the request carries.
func Lock(ctx context.Context, c *conn.Conn, r Request) (*Mutex, error) {
	return acquire(ctx, c, r, "lock")
}

// TryLock takes the lock r names if nobody holds it and nobody waits for
// it, and otherwise fails with ErrLocked, leaving no key behind. It sends
// one transaction, and one more to delete its key when the lock is taken.
func TryLock(ctx context.Context, c *conn.Conn, r Request) (*Mutex, error) {
	return acquire(ctx, c, r, "try_lock")
}

func acquire(ctx context.Context, c *conn.Conn, r Request, req string) (*Mutex, error) {
	if err := r.checkLock(req); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := r.s
	id, err := currentLease(ctx, s)
	if err != nil {
		return nil, err
	}
	key, pfx := keyFor(r.prefix, id), r.prefix+"/"
	local.use(key)
	held := false
	defer func() {
		if !held {
			local.drop(key)
		}
	}()

	// One transaction: create the key unless this session has it already
	// (a second Lock of the same prefix shares it), and read the first
	// holder, so that an uncontended lock costs one round trip.
	//
	// The transaction runs to its answer even when ctx ends meanwhile
	// (bounded like a cleanup): a create cancelled in flight may still be
	// applied after a delete sent at once to clean it up, and would leave
	// the key behind; its answer says for certain whether there is a key.
	keyReq := kv.New().WithKey(key)
	first := op.Get(kv.New().WithKey(pfx).WithPrefix().WithFirstCreate().WithKeysOnly())
	tctx, tcancel := cleanupContext(ctx, s)
	resp, err := c.Txn(tctx, op.If(compare.Key(key).CreateRevision(compare.Equal, 0)).
		Then(op.Put(keyReq.WithLease(id)), first).
		Else(op.Get(keyReq.WithKeysOnly()), first))
	tcancel()
	if err == nil && ctx.Err() != nil {
		rev := resp.Header.Revision
		if !resp.Succeeded && len(resp.Responses[0].Get.KVs) > 0 {
			rev = resp.Responses[0].Get.KVs[0].CreateRevision
		}
		release(ctx, c, x, s, key, rev)
		return nil, ctx.Err()
	}
	if err != nil {
		if errors.Is(err, conn.ErrUnknownOutcome) {
			cleanupUnknown(ctx, c, x, s, key)
		}
		if errors.Is(err, conn.ErrLeaseNotFound) {
			// The put was refused: the lease is gone, and the session
			// has not noticed yet.
			return nil, &LostError{Key: key, Cause: err}
		}
		return nil, err
	}
	rev := resp.Header.Revision
	if !resp.Succeeded {
		mine := resp.Responses[0].Get.KVs
		if len(mine) == 0 { // cannot happen: the comparison just saw the key
			return nil, &LostError{Key: key, Cause: ErrKeyDeleted}
		}
		rev = mine[0].CreateRevision
	}
	owner := resp.Responses[1].Get.KVs
	hdr := resp.Header
	if len(owner) > 0 && owner[0].CreateRevision != rev {
		if req == "try_lock" {
			release(ctx, c, x, s, key, rev)
			return nil, ErrLocked
		}
		if hdr, err = wait(ctx, c, s, id, key, pfx, rev); err != nil {
			release(ctx, c, x, s, key, rev)
			return nil, err
		}
	}
	held = true
	return newMutex(c, s, id, key, rev, hdr), nil
}

// currentLease returns the session's lease, waiting while the session
// recovers a lost one.
func currentLease(ctx context.Context, s *lease.Session) (int64, error) {
	for {
		ch := s.Changed()
		if id := s.ID(); id != 0 {
			return id, nil
		}
		if err := s.Err(); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrSessionEnded, err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// wait waits until no key of the prefix created before rev is left, one
// predecessor at a time: it reads the last key created before its own and
// waits for that key's deletion alone. It ends with a *LostError when its
// own key goes away (the session's lease was lost).
func wait(ctx context.Context, c *conn.Conn, s *lease.Session, id int64, key, pfx string, rev int64) (conn.Header, error) {
	wctx, stop := sessionContext(ctx, s, id, key)
	defer stop()
	mine := op.Get(kv.New().WithKey(key).WithKeysOnly())
	before := op.Get(kv.New().WithKey(pfx).WithPrefix().WithLastCreate().WithMaxCreateRev(rev - 1).WithKeysOnly())
	check := op.NewTxn().Then(mine, before)
	for {
		resp, err := c.Txn(wctx, check)
		if err != nil {
			return conn.Header{}, waitErr(ctx, wctx, key, err)
		}
		if kvs := resp.Responses[0].Get.KVs; len(kvs) == 0 || kvs[0].CreateRevision != rev {
			return conn.Header{}, &LostError{Key: key, Cause: lostCause(s, id)}
		}
		prev := resp.Responses[1].Get.KVs
		if len(prev) == 0 {
			return resp.Header, nil
		}
		err = waitDelete(wctx, c, string(prev[0].Key), resp.Header.Revision+1)
		switch {
		case err == nil:
		case wctx.Err() != nil:
			return conn.Header{}, waitErr(ctx, wctx, key, err)
		case errors.Is(err, conn.ErrCompacted):
			// The history after the read is gone: read again.
		default:
			return conn.Header{}, err
		}
	}
}

// waitErr is the error of a wait that failed: the session's loss when that
// ended it, the caller's context error when it ended, or err.
func waitErr(ctx, wctx context.Context, key string, err error) error {
	if ctx.Err() == nil {
		if lost, ok := context.Cause(wctx).(*LostError); ok {
			return lost
		}
		return err
	}
	return fmt.Errorf("lock: waiting for %s: %w", key, ctx.Err())
}

// lostCause says why the session no longer has lease id, or, when it still
// has, that the key was deleted.
func lostCause(s *lease.Session, id int64) error {
	if err := sessionLost(s, id); err != nil {
		return err
	}
	return ErrKeyDeleted
}

// sessionLost returns why the session no longer has lease id, or nil while
// it has.
func sessionLost(s *lease.Session, id int64) error {
	if s.ID() == id {
		return nil
	}
	if err := s.Err(); err != nil {
		return err
	}
	if st := s.Status(); st.LastLoss != nil {
		return st.LastLoss
	}
	return lease.ErrLeaseLost
}

// sessionContext returns a context that ends with ctx, or with a
// *LostError cause when the session loses lease id or ends. stop releases
// it and waits for its goroutine.
func sessionContext(ctx context.Context, s *lease.Session, id int64, key string) (context.Context, func()) {
	wctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ch := s.Changed()
			if err := sessionLost(s, id); err != nil {
				cancel(&LostError{Key: key, Cause: err})
				return
			}
			select {
			case <-ch:
			case <-wctx.Done():
				return
			}
		}
	}()
	return wctx, func() {
		cancel(nil)
		<-done
	}
}

// waitDelete waits for a delete of key at revision from or later, on a
// watch of that key alone (puts filtered out by the server).
func waitDelete(ctx context.Context, c *conn.Conn, key string, from int64) error {
	w, err := watch.Open(ctx, c, watch.Key(key).WithStartRevision(from).WithFilterPut())
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		resp, err := w.Next(ctx)
		if err != nil {
			return err
		}
		for _, ev := range resp.Events {
			if ev.Type == watch.Delete {
				return nil
			}
		}
	}
}

// release deletes key if its create revision is still rev and no other
// handle of this process uses it (a second Lock of the same prefix on the
// same session shares the key). The delete is guarded by the create
// revision, so sending it again after an unknown outcome is safe: it can
// never delete a later holder's key. It runs even when ctx has ended,
// bounded by the session's TTL; the key goes with the lease anyway.
func release(ctx context.Context, c *conn.Conn, x connx.Conn, s *lease.Session, key string, rev int64) {
	if local.others(key) > 0 {
		return
	}
	cctx, cancel := cleanupContext(ctx, s)
	defer cancel()
	del := op.If(compare.Key(key).CreateRevision(compare.Equal, rev)).Then(op.Delete(kv.New().WithKey(key)))
	backoff := 25 * time.Millisecond
	for {
		_, err := c.Txn(cctx, del)
		if err == nil {
			return
		}
		if !retryable(err) || cctx.Err() != nil || sleep(cctx, backoff) != nil {
			x.Logger().Warn("lock: cannot delete a waiter's key; it goes with its lease", "key", key, "err", err)
			return
		}
		backoff = min(2*backoff, time.Second)
	}
}

// cleanupUnknown deletes key after a creation whose outcome is unknown:
// the key may exist or not, and only the server can say.
func cleanupUnknown(ctx context.Context, c *conn.Conn, x connx.Conn, s *lease.Session, key string) {
	if local.others(key) > 0 {
		return // the key existed before: another handle of this process has it
	}
	cctx, cancel := cleanupContext(ctx, s)
	resp, err := c.Get(cctx, kv.New().WithKey(key).WithKeysOnly())
	cancel()
	if err != nil {
		x.Logger().Warn("lock: cannot look up a key whose creation had an unknown outcome; it goes with its lease", "key", key, "err", err)
		return
	}
	if len(resp.KVs) > 0 {
		release(ctx, c, x, s, key, resp.KVs[0].CreateRevision)
	}
}

// cleanupContext bounds a cleanup by the session's TTL (within [1s, 10s]),
// whether or not ctx has ended.
func cleanupContext(ctx context.Context, s *lease.Session) (context.Context, context.CancelFunc) {
	d := min(max(time.Duration(s.Status().TTL)*time.Second, time.Second), 10*time.Second)
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// retryable says whether a guarded delete may be sent again: its outcome
// is unknown, or the cluster was unavailable.
func retryable(err error) bool {
	return errors.Is(err, conn.ErrUnknownOutcome) || errors.Is(err, conn.ErrUnavailable) ||
		errors.Is(err, conn.ErrNoLeader) || errors.Is(err, conn.ErrTimeout) || errors.Is(err, conn.ErrTooManyRequests)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// local counts the calls and handles of this process that use each key, so
// that cleaning up after one never deletes a key another one shares.
var local = &users{n: map[string]int{}}

type users struct {
	mu sync.Mutex
	n  map[string]int
}

func (u *users) use(key string) {
	u.mu.Lock()
	u.n[key]++
	u.mu.Unlock()
}

func (u *users) drop(key string) {
	u.mu.Lock()
	if u.n[key]--; u.n[key] <= 0 {
		delete(u.n, key)
	}
	u.mu.Unlock()
}

// others returns how many users of key there are besides the caller.
func (u *users) others(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n[key] - 1
}
