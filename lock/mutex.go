package lock

import (
	"context"
	"errors"
	"sync"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/op"
)

// Mutex is a held lock, returned by Lock and TryLock. Its key is
// prefix/<lease in hex>, created with the session's lease; its fencing
// token is that key's create revision. A Mutex is safe for concurrent use.
//
// A Mutex reports its end: Done is closed and Err says why once Unlock
// released it (ErrUnlocked), or once it was found lost (a *LostError): the
// session lost its lease or ended, or IsOwner or Unlock found the key gone.
// Until then one goroutine per Mutex follows its session.
type Mutex struct {
	c      *conn.Conn
	s      *lease.Session
	lease  int64
	key    string
	token  int64
	header conn.Header

	mu      sync.Mutex
	err     error
	done    chan struct{}
	unknown bool // an Unlock's delete had an unknown outcome
}

func newMutex(c *conn.Conn, s *lease.Session, id int64, key string, rev int64, h conn.Header) *Mutex {
	m := &Mutex{c: c, s: s, lease: id, key: key, token: rev, header: h, done: make(chan struct{})}
	go m.follow()
	return m
}

// follow ends the Mutex when its session loses the lease or ends.
func (m *Mutex) follow() {
	for {
		ch := m.s.Changed()
		if err := sessionLost(m.s, m.lease); err != nil {
			m.end(&LostError{Key: m.key, Token: m.token, Cause: err})
			return
		}
		select {
		case <-ch:
		case <-m.done:
			return
		}
	}
}

// end records why the Mutex ended, once; it reports whether this call did.
func (m *Mutex) end(err error) (error, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err, false
	}
	m.err = err
	close(m.done)
	local.drop(m.key)
	return err, true
}

// Key returns the holder's key: prefix/<lease in hex>.
func (m *Mutex) Key() string { return m.key }

// Token returns the fencing token: the create revision of the holder's
// key. Tokens grow with every acquisition of the lock, so a resource that
// remembers the highest token it has seen can refuse a stale holder.
func (m *Mutex) Token() int64 { return m.token }

// Lease returns the ID of the lease the key is attached to.
func (m *Mutex) Lease() int64 { return m.lease }

// Header returns the header of the answer that granted the lock.
func (m *Mutex) Header() conn.Header { return m.header }

// Guard returns the condition "the holder's key still has the create
// revision it was locked with". Add it to a transaction (op.If(m.Guard(),
// ...)) and the transaction's Then branch runs only while the lock is
// held: if the lock was lost meanwhile (lease expired, key deleted), the
// transaction fails its comparison instead of writing.
func (m *Mutex) Guard() compare.Cond {
	return compare.Key(m.key).CreateRevision(compare.Equal, m.token)
}

// Done is closed when the lock is no longer held; Err says why.
func (m *Mutex) Done() <-chan struct{} { return m.done }

// Err returns nil while the lock is held (as far as this process knows),
// ErrUnlocked after Unlock, or a *LostError (matching ErrLost and its
// cause, such as lease.ErrLeaseLost) when it was lost.
func (m *Mutex) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// IsOwner asks the server whether the lock is still held: whether the key
// still exists with its create revision. When it does not, the Mutex ends
// with a *LostError. A lock that was acquired stays held while its key
// exists: waiters only ever queue behind it.
func (m *Mutex) IsOwner(ctx context.Context) (bool, error) {
	resp, err := m.c.Get(ctx, kv.New().WithKey(m.key).WithKeysOnly())
	if err != nil {
		return false, err
	}
	if len(resp.KVs) > 0 && resp.KVs[0].CreateRevision == m.token {
		return true, nil
	}
	m.end(&LostError{Key: m.key, Token: m.token, Cause: lostCause(m.s, m.lease)})
	return false, nil
}

// Unlock releases the lock: it deletes the holder's key, guarded by its
// create revision, so that it never deletes a later holder's key. It
// returns nil once the key is deleted (and again on later calls), and a
// *LostError when the key was already gone: the lock had been lost.
//
// When the delete's outcome is unknown, Unlock returns the error (matching
// conn.ErrUnknownOutcome) and the Mutex stays as it was: call Unlock again
// (the guard makes that safe), or let the session's lease take the key. An
// Unlock after such an outcome that finds the key gone returns nil: the
// earlier delete was applied (or the lock was lost meanwhile; it is not
// held either way).
func (m *Mutex) Unlock(ctx context.Context) error {
	if err := m.Err(); err == ErrUnlocked {
		return nil
	}
	resp, err := m.c.Txn(ctx, op.If(m.Guard()).Then(op.Delete(kv.New().WithKey(m.key))))
	if err != nil {
		if errors.Is(err, conn.ErrUnknownOutcome) {
			m.mu.Lock()
			m.unknown = true
			m.mu.Unlock()
		}
		return err
	}
	m.mu.Lock()
	unknown := m.unknown
	m.mu.Unlock()
	if resp.Succeeded || unknown {
		// After an unknown outcome, a key found gone was most likely
		// deleted by that earlier delete; released either way.
		m.end(ErrUnlocked)
		return nil
	}
	err, _ = m.end(&LostError{Key: m.key, Token: m.token, Cause: lostCause(m.s, m.lease)})
	if err == ErrUnlocked {
		return nil // a concurrent Unlock released it
	}
	return err
}
