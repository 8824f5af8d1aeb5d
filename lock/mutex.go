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

// Mutex is a held lock, returned by Lock and TryLock. Its key is
// prefix/<lease in hex>, created with the session's lease; its fencing
// token is that key's create revision. A Mutex is safe for concurrent use.
//
// A Mutex reports its end: Done is closed and Err says why once Unlock
// released it (ErrUnlocked), or once it was found lost (a *LostError): its
// key was deleted (by anyone but this handle's Unlock: another client, the
// other handle of a shared key, the server when the lease went), the
// session lost its lease or ended, or the watch on the key could not go on
// (the connection closed). One goroutine per Mutex follows both the session
// and the key, which it watches on the connection's shared watch stream
// from the revision the lock was acquired at, so a deletion is never
// missed, even across reconnects.
//
// Only Lock and TryLock make a Mutex. One they did not make (a zero value,
// or nil) holds nothing: Done is closed, Err, Unlock and IsOwner fail with
// a *kv.FieldError matching kv.ErrInvalidRequest on the field "mutex"
// (nothing is sent), and the other methods return zero values.
type Mutex struct {
	c      *conn.Conn
	s      *lease.Session
	lease  int64
	key    string
	token  int64
	header conn.Header
	ctx    context.Context // ended when the Mutex ends: stops its watch
	cancel context.CancelFunc
	exited chan struct{} // closed when the goroutine has returned

	mu        sync.Mutex
	err       error
	done      chan struct{}
	unknown   bool  // an Unlock's delete had an unknown outcome
	unlocking int   // Unlocks whose delete is in flight
	seen      bool  // the goroutine saw the key gone
	deletedAt int64 // the revision it was seen deleted at; 0 when a read found it gone
}

func newMutex(c *conn.Conn, s *lease.Session, id int64, key string, rev int64, h conn.Header) *Mutex {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mutex{c: c, s: s, lease: id, key: key, token: rev, header: h,
		ctx: ctx, cancel: cancel, exited: make(chan struct{}), done: make(chan struct{})}
	go m.follow(h.Revision + 1)
	return m
}

// follow ends the Mutex when its session loses the lease or ends, or when
// its key is deleted at revision from or later. It watches the key alone,
// deletions only, and resumes after a compaction once a read shows the key
// is still the lock's.
func (m *Mutex) follow(from int64) {
	defer close(m.exited)
	var w *watch.Watcher
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for {
		ch := m.s.Changed()
		if err := sessionLost(m.s, m.lease); err != nil {
			m.end(&LostError{Key: m.key, Token: m.token, Cause: err})
			return
		}
		if w == nil {
			var err error
			w, err = watch.Open(m.ctx, m.c, watch.Key(m.key).WithStartRevision(from).WithFilterPut())
			if err != nil {
				if m.ctx.Err() == nil {
					m.end(&LostError{Key: m.key, Token: m.token, Cause: err})
				}
				return
			}
		}
		// One goroutine waits for both: the watch's next response, or the
		// session's next change (which ends this Next, not the watch).
		resp, err := w.Next(changeContext{ch})
		switch {
		case m.ctx.Err() != nil:
			return
		case err == nil:
			for _, ev := range resp.Events {
				if ev.Type == watch.Delete {
					m.deleted(ev.KV.ModRevision)
					return
				}
			}
		case closed(ch):
			// The session changed: checked at the top of the loop.
		case errors.Is(err, conn.ErrCompacted):
			w.Close()
			w = nil
			if from = m.recheck(); from == 0 {
				return
			}
		default:
			m.end(&LostError{Key: m.key, Token: m.token, Cause: err})
			return
		}
	}
}

// recheck reads the key after its watch was compacted. It returns the
// revision to watch from again when the key is still the lock's, and 0
// when the Mutex has ended.
func (m *Mutex) recheck() int64 {
	g, err := m.c.Get(m.ctx, kv.New().WithKey(m.key).WithKeysOnly())
	switch {
	case m.ctx.Err() != nil:
		return 0
	case err != nil:
		m.end(&LostError{Key: m.key, Token: m.token, Cause: err})
		return 0
	case len(g.KVs) == 0 || g.KVs[0].CreateRevision != m.token:
		m.deleted(0)
		return 0
	}
	return g.Header.Revision + 1
}

// deleted ends the Mutex after its key was seen deleted at rev (0 when a
// read found it gone). While an Unlock of this handle is in flight, that
// Unlock decides: the deletion may be its own. After an Unlock whose
// outcome was unknown, the deletion counts as that Unlock's, as Unlock
// itself counts it. Otherwise the cause is the session's loss, or
// ErrKeyDeleted when the server says the lease still exists.
func (m *Mutex) deleted(rev int64) {
	m.mu.Lock()
	m.seen, m.deletedAt = true, rev
	switch {
	case m.unlocking > 0:
		m.mu.Unlock()
		<-m.done // the last Unlock in flight ends the Mutex
		return
	case m.unknown:
		m.endLocked(ErrUnlocked)
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	cause := m.deletionCause()
	if m.ctx.Err() != nil {
		return
	}
	m.end(&LostError{Key: m.key, Token: m.token, Revision: rev, Cause: cause})
}

// deletionCause says why the key was deleted: the session's loss if it
// knows of one, ErrKeyDeleted if the server still has the lease. When the
// server no longer has it but the session has not said so yet (its next
// renewal, or its Close, will), it waits for the session's word, at most
// the session's TTL (within [1s, 10s]), so that the cause is the
// session's own (lease.ErrRevoked, lease.ErrSessionClosed, ...); after
// that the cause is the server's answer, matching lease.ErrLeaseLost.
func (m *Mutex) deletionCause() error {
	if err := sessionLost(m.s, m.lease); err != nil {
		return err
	}
	_, err := lease.TimeToLive(m.ctx, m.c, lease.ID(m.lease))
	switch {
	case err == nil:
		return ErrKeyDeleted
	case !errors.Is(err, conn.ErrLeaseNotFound):
		// The key is gone, and whether its lease is, the server did not say.
		return ErrKeyDeleted
	}
	notFound := err
	wait := min(max(time.Duration(m.s.Status().TTL)*time.Second, time.Second), 10*time.Second)
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		ch := m.s.Changed()
		if err := sessionLost(m.s, m.lease); err != nil {
			return err
		}
		select {
		case <-ch:
		case <-t.C:
			return fmt.Errorf("%w: the server no longer has lease %x: %w", lease.ErrLeaseLost, m.lease, notFound)
		case <-m.ctx.Done():
			return m.ctx.Err()
		}
	}
}

// end records why the Mutex ended, once, and stops its watch; it reports
// whether this call did.
func (m *Mutex) end(err error) (error, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.endLocked(err)
}

func (m *Mutex) endLocked(err error) (error, bool) {
	if m.err != nil {
		return m.err, false
	}
	m.err = err
	close(m.done)
	m.cancel()
	local.drop(m.key)
	return err, true
}

// changeContext is a context that ends when a channel is closed: the
// Mutex's goroutine waits for its watch with the session's Changed
// channel as the context, so that one goroutine waits for both.
type changeContext struct{ ch <-chan struct{} }

func (changeContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c changeContext) Done() <-chan struct{}     { return c.ch }
func (changeContext) Value(any) any               { return nil }
func (c changeContext) Err() error {
	if closed(c.ch) {
		return context.Canceled
	}
	return nil
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// check refuses a Mutex that Lock or TryLock did not return (the zero
// value): it has no key, session or connection to act on.
func (m *Mutex) check(req string) error {
	if m == nil || m.c == nil || m.s == nil || m.done == nil {
		return invalid(req, "mutex", "not a lock Lock or TryLock returned (a zero or nil Mutex)")
	}
	return nil
}

// Key returns the holder's key: prefix/<lease in hex>.
func (m *Mutex) Key() string {
	if m == nil {
		return ""
	}
	return m.key
}

// Token returns the fencing token: the create revision of the holder's
// key. Tokens grow with every acquisition of the lock, so a resource that
// remembers the highest token it has seen can refuse a stale holder.
func (m *Mutex) Token() int64 {
	if m == nil {
		return 0
	}
	return m.token
}

// Lease returns the ID of the lease the key is attached to.
func (m *Mutex) Lease() int64 {
	if m == nil {
		return 0
	}
	return m.lease
}

// Header returns the header of the answer that granted the lock.
func (m *Mutex) Header() conn.Header {
	if m == nil {
		return conn.Header{}
	}
	return m.header
}

// Guard returns the condition "the holder's key still has the create
// revision it was locked with". Add it to a transaction (op.If(m.Guard(),
// ...)) and the transaction's Then branch runs only while the lock is
// held: if the lock was lost meanwhile (lease expired, key deleted), the
// transaction fails its comparison instead of writing.
func (m *Mutex) Guard() compare.Cond {
	return compare.Key(m.Key()).CreateRevision(compare.Equal, m.Token())
}

// Done is closed when the lock is no longer held; Err says why.
func (m *Mutex) Done() <-chan struct{} {
	if m.check("done") != nil {
		return connx.Closed()
	}
	return m.done
}

// Err returns nil while the lock is held (as far as this process knows),
// ErrUnlocked after Unlock, or a *LostError (matching ErrLost and its
// cause, such as ErrKeyDeleted or lease.ErrLeaseLost) when it was lost.
func (m *Mutex) Err() error {
	if err := m.check("err"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// IsOwner asks the server whether the lock is still held: whether the key
// still exists with its create revision. When it does not, the Mutex ends
// with a *LostError, unless this handle's Unlock deleted it: while an
// Unlock is in flight, IsOwner waits for it to decide (or for ctx), and
// after an Unlock whose outcome was unknown the Mutex ends with
// ErrUnlocked, as when the goroutine sees the deletion. A lock that was
// acquired stays held while its key exists: waiters only ever queue behind
// it.
func (m *Mutex) IsOwner(ctx context.Context) (bool, error) {
	if err := m.check("is_owner"); err != nil {
		return false, err
	}
	resp, err := m.c.Get(ctx, kv.New().WithKey(m.key).WithKeysOnly())
	if err != nil {
		return false, err
	}
	if len(resp.KVs) > 0 && resp.KVs[0].CreateRevision == m.token {
		return true, nil
	}
	cause := lostCause(m.s, m.lease)
	m.mu.Lock()
	switch {
	case m.unlocking > 0:
		// The deletion may be that Unlock's: it decides, now that the
		// key was seen gone.
		m.seen = true
		m.mu.Unlock()
		if err := m.settled(ctx); err != nil {
			return false, err
		}
		return false, nil
	case m.unknown:
		m.endLocked(ErrUnlocked)
	default:
		m.endLocked(&LostError{Key: m.key, Token: m.token, Revision: m.deletedAt, Cause: cause})
	}
	m.mu.Unlock()
	<-m.exited
	return false, nil
}

// settled waits until the Mutex has ended, decided by an Unlock in flight,
// and for its goroutine; it returns ctx's error if ctx ends first.
func (m *Mutex) settled(ctx context.Context) error {
	select {
	case <-m.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-m.exited
	return nil
}

// Unlock releases the lock: it deletes the holder's key, guarded by its
// create revision, so that it never deletes a later holder's key. It
// returns nil once the key is deleted (and again on later calls), and a
// *LostError when the key was already gone: the lock had been lost. The
// deletion of the key by Unlock itself is never reported as a loss, also
// when several goroutines unlock one Mutex at once: one whose delete finds
// the key gone while another's is in flight waits for that one's answer
// (or for its own ctx) and returns the same verdict.
//
// When the delete's outcome is unknown, Unlock returns the error (matching
// conn.ErrUnknownOutcome) and the Mutex stays as it was: call Unlock again
// (the guard makes that safe), or let the session's lease take the key. An
// Unlock after such an outcome that finds the key gone returns nil, and a
// deletion of the key seen after it ends the Mutex with ErrUnlocked: the
// earlier delete was applied (or the lock was lost meanwhile; it is not
// held either way).
func (m *Mutex) Unlock(ctx context.Context) error {
	if err := m.check("unlock"); err != nil {
		return err
	}
	m.mu.Lock()
	if m.err == ErrUnlocked {
		m.mu.Unlock()
		return nil
	}
	m.unlocking++
	m.mu.Unlock()
	resp, err := m.c.Txn(ctx, op.If(m.Guard()).Then(op.Delete(kv.New().WithKey(m.key))))
	var cause error
	if err != nil || !resp.Succeeded {
		cause = lostCause(m.s, m.lease)
	}
	// The decision is taken under the lock that the goroutine takes when it
	// sees the key deleted: either it waits for this decision, or it has
	// decided already and end keeps its verdict.
	m.mu.Lock()
	m.unlocking--
	if errors.Is(err, conn.ErrUnknownOutcome) {
		m.unknown = true
	}
	lost := &LostError{Key: m.key, Token: m.token, Revision: m.deletedAt, Cause: cause}
	var result error
	switch {
	case err != nil && (!m.seen || m.unlocking > 0):
		m.mu.Unlock()
		return err // nothing seen, or another Unlock decides: the Mutex stays as it was
	case err != nil && m.unknown:
		// The key was seen deleted after a delete with an unknown
		// outcome: most likely by it.
		m.endLocked(ErrUnlocked)
		result = err
	case err != nil:
		// The key was seen deleted, and this delete was not applied.
		m.endLocked(lost)
		result = err
	case resp.Succeeded || m.unknown:
		// After an unknown outcome, a key found gone was most likely
		// deleted by that earlier delete; released either way.
		m.endLocked(ErrUnlocked)
	case m.unlocking > 0:
		// The key is gone and another Unlock of this handle is in
		// flight: its delete may be the one that removed the key, so it
		// decides, now that the key was seen gone, and this Unlock
		// reports its verdict.
		m.seen = true
		m.mu.Unlock()
		if err := m.settled(ctx); err != nil {
			return err
		}
		if err := m.Err(); err != ErrUnlocked {
			return err
		}
		return nil
	default:
		if result, _ = m.endLocked(lost); result == ErrUnlocked {
			result = nil // a concurrent Unlock released it
		}
	}
	m.mu.Unlock()
	<-m.exited
	return result
}
