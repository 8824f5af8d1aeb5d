package lease

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
)

// Session is a lease and its keep-alive, with keys registered on it: the
// building block of service registration, locks and elections. Close
// revokes the lease, which deletes its keys at once.
//
// With WithRecovery a session outlives its leases: when one is lost (it
// expired while the client was cut off, or someone revoked it), the session
// grants a new lease with the same TTL, keeps it alive and writes every
// registered key again under it. Each loss and recovery shows in Status,
// closes the channel Changed returned, and is logged on the connection's
// logger. Without recovery a lost lease ends the session (Err matches
// ErrLeaseLost).
//
// A session's methods are safe for concurrent use. One goroutine runs per
// session; it ends when the session ends.
type Session struct {
	c        *conn.Conn
	x        connx.Conn
	recovery bool
	cancel   context.CancelFunc // ends the session's context
	done     chan struct{}

	keysMu sync.Mutex // held while a recovery writes the keys, and by Unregister

	mu       sync.Mutex
	h        *Handle // nil while recovering
	status   SessionStatus
	changed  chan struct{}
	keys     map[string]string
	closing  bool
	err      error
	closeErr error
}

// SessionStatus is what a session has been through.
type SessionStatus struct {
	ID         int64 // the current lease; 0 while there is none (recovering, or ended)
	TTL        int64 // the TTL of the leases, in seconds
	Losses     int   // leases lost so far
	Recoveries int   // leases granted to replace a lost one
	LastLoss   error // why the last lease was lost (a *LostError), nil if none was
}

// NewSession grants a lease of r's TTL (lease.TTL(10)), with r's ID if it
// has one, or adopts the existing lease r names when r has an ID but no TTL;
// then it keeps the lease alive until ctx ends or Close is called. Add
// WithRecovery to replace a lost lease (see Session). When ctx ends the
// session revokes its lease, as Close does, and Err returns the context's
// error.
func NewSession(ctx context.Context, c *conn.Conn, r Request) (*Session, error) {
	if err := r.checkSession(); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	id, ttl, granted := r.id, r.ttl, false
	if r.set.has(optTTL) {
		g := TTL(r.ttl)
		if r.id != 0 {
			g = g.WithID(r.id)
		}
		resp, err := Grant(sctx, c, g)
		if err != nil {
			cancel()
			return nil, err
		}
		id, ttl, granted = resp.ID, resp.TTL, true
	}
	h, err := KeepAlive(sctx, c, ID(id))
	if err != nil {
		if granted {
			revoke(sctx, c, id, ttl)
		}
		cancel()
		return nil, err
	}
	s := &Session{
		c: c, x: x, recovery: r.set.has(optRecovery), cancel: cancel, done: make(chan struct{}),
		h: h, status: SessionStatus{ID: id, TTL: h.TTL()}, changed: make(chan struct{}), keys: map[string]string{},
	}
	go s.run(ctx, sctx)
	return s, nil
}

// ID returns the current lease's ID, 0 while the session has none.
func (s *Session) ID() int64 {
	if !s.started() {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.ID
}

// Status returns what the session has been through.
func (s *Session) Status() SessionStatus {
	if !s.started() {
		return SessionStatus{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Changed returns a channel that is closed at the session's next change: a
// lease lost, a lease recovered, the session ended. Take the channel before
// reading Status, and nothing is missed:
//
//	for {
//		ch := s.Changed()
//		log.Printf("%+v", s.Status())
//		select {
//		case <-ch:
//		case <-s.Done():
//			return
//		}
//	}
func (s *Session) Changed() <-chan struct{} {
	if !s.started() {
		return connx.Closed()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Done is closed when the session has ended; Err then says why.
func (s *Session) Done() <-chan struct{} {
	if !s.started() {
		return connx.Closed()
	}
	return s.done
}

// started says whether NewSession made s.
func (s *Session) started() bool { return s != nil && s.done != nil }

// Err returns nil while the session runs, and afterwards why it ended:
// ErrSessionClosed after Close, the context's error, an error matching
// conn.ErrClosed when the connection closed, or (without recovery) the
// *LostError of its lease. A Session NewSession did not make (a zero
// value, or nil) has ended with ErrNotStarted, and its calls send nothing.
func (s *Session) Err() error {
	if !s.started() {
		return ErrNotStarted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Register puts key=value with the session's lease and remembers it, so
// that a recovering session writes it again under its next lease. While
// the session is recovering, Register waits for the new lease (or ctx).
//
// The key stays registered when the put's outcome is unknown or the lease
// was lost meanwhile (a recovery writes it); a put the server definitely
// rejected leaves it unregistered. An invalid key fails as kv's put would,
// with nothing sent.
func (s *Session) Register(ctx context.Context, key, value string) (*conn.PutResponse, error) {
	req := kv.New().WithKey(key).WithValue(value)
	if _, err := req.WithLease(1).PutRequest(); err != nil {
		return nil, err
	}
	if !s.started() {
		return nil, ErrNotStarted
	}
	s.mu.Lock()
	if s.err != nil {
		defer s.mu.Unlock()
		return nil, s.err
	}
	s.keys[key] = value
	s.mu.Unlock()
	id, err := s.waitLease(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := s.c.Put(ctx, req.WithLease(id))
	if err != nil && !errors.Is(err, conn.ErrUnknownOutcome) && !errors.Is(err, conn.ErrLeaseNotFound) {
		s.mu.Lock()
		if v, ok := s.keys[key]; ok && v == value {
			delete(s.keys, key)
		}
		s.mu.Unlock()
	}
	return resp, err
}

// Unregister forgets key and deletes it.
func (s *Session) Unregister(ctx context.Context, key string) (*conn.DeleteResponse, error) {
	if !s.started() {
		return nil, ErrNotStarted
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	s.mu.Lock()
	delete(s.keys, key)
	s.mu.Unlock()
	return s.c.Delete(ctx, kv.New().WithKey(key))
}

// Keys returns the registered keys, sorted.
func (s *Session) Keys() []string {
	if !s.started() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.keys))
	for k := range s.keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Close ends the session and revokes its lease, which deletes the
// registered keys. It waits for the session's goroutine and returns the
// revoke's error, if any (a lease already gone is no error). Waiting for
// the revoke is bounded by the lease's TTL: after that the server drops the
// lease anyway. Close may be called more than once.
func (s *Session) Close() error {
	if !s.started() {
		return ErrNotStarted
	}
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// waitLease returns the current lease, waiting while the session recovers.
func (s *Session) waitLease(ctx context.Context) (int64, error) {
	for {
		s.mu.Lock()
		id, ch, err := s.status.ID, s.changed, s.err
		s.mu.Unlock()
		switch {
		case err != nil:
			return 0, err
		case id != 0:
			return id, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// run waits for the lease's end, recovers when it was lost and recovery is
// on, and otherwise ends the session. parent is NewSession's context, ctx
// the session's own (cancelled by Close).
func (s *Session) run(parent, ctx context.Context) {
	defer close(s.done)
	defer s.cancel()
	for {
		s.mu.Lock()
		h := s.h
		s.mu.Unlock()
		<-h.Done()
		err := h.Err()
		if !errors.Is(err, ErrLeaseLost) || !s.recovery || ctx.Err() != nil {
			s.finish(parent, ctx, err, h.ID())
			return
		}
		s.lost(err)
		if err := s.recover(ctx); err != nil {
			s.finish(parent, ctx, err, 0)
			return
		}
	}
}

func (s *Session) lost(err error) {
	s.x.Logger().Warn("lease: session lost its lease; recovering", "err", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = nil
	s.status.ID = 0
	s.status.Losses++
	s.status.LastLoss = err
	s.signalLocked()
}

// recover grants a new lease, keeps it alive and writes the registered
// keys under it, trying again with backoff until it succeeds or the session
// ends.
func (s *Session) recover(ctx context.Context) error {
	var backoff time.Duration
	for {
		s.mu.Lock()
		ttl := s.status.TTL
		s.mu.Unlock()
		g, err := Grant(ctx, s.c, TTL(ttl))
		if err == nil {
			var h *Handle
			if h, err = KeepAlive(ctx, s.c, ID(g.ID)); err == nil {
				s.rewrite(ctx, g.ID)
				s.mu.Lock()
				s.h = h
				s.status.ID = g.ID
				s.status.TTL = g.TTL
				s.status.Recoveries++
				s.signalLocked()
				s.mu.Unlock()
				s.x.Logger().Info("lease: session recovered with a new lease", "lease", g.ID)
				return nil
			}
			if !errors.Is(err, conn.ErrClosed) {
				_ = revoke(ctx, s.c, g.ID, g.TTL) // or it expires by itself
			}
		}
		if ctx.Err() != nil || errors.Is(err, conn.ErrClosed) {
			return err
		}
		backoff = min(max(2*backoff, backoffBase), backoffMax)
		s.x.Logger().Warn("lease: session cannot replace its lost lease yet", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.x.Done():
			t.Stop()
			return s.closedErr()
		}
	}
}

// rewrite puts every registered key with the lease id. A put whose outcome
// is unknown, or that met an unavailable cluster, is tried again (writing
// the same value twice is harmless); a put the server rejected is logged
// and skipped; a lease lost meanwhile stops the rewrite (run notices).
func (s *Session) rewrite(ctx context.Context, id int64) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	s.mu.Lock()
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	slices.Sort(keys)
	for _, k := range keys {
		var backoff time.Duration
		for {
			s.mu.Lock()
			v, ok := s.keys[k]
			s.mu.Unlock()
			if !ok {
				break // unregistered meanwhile
			}
			_, err := s.c.Put(ctx, kv.New().WithKey(k).WithValue(v).WithLease(id))
			switch {
			case err == nil:
			case ctx.Err() != nil, errors.Is(err, conn.ErrClosed), errors.Is(err, conn.ErrLeaseNotFound):
				return
			case errors.Is(err, conn.ErrPermissionDenied), errors.Is(err, conn.ErrRequestTooLarge), errors.Is(err, kv.ErrInvalidRequest):
				s.x.Logger().Error("lease: session cannot write a registered key", "key", k, "err", err)
			default:
				backoff = min(max(2*backoff, backoffBase), backoffMax)
				if sleep(ctx, backoff) != nil {
					return
				}
				continue
			}
			break
		}
	}
}

// finish ends the session: with the lease revoked when it may still exist
// and the session was closed or its context ended.
func (s *Session) finish(parent, ctx context.Context, err error, id int64) {
	s.mu.Lock()
	closing, ttl := s.closing, s.status.TTL
	s.mu.Unlock()
	var revokeErr error
	if id != 0 && (closing || parent.Err() != nil) && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, conn.ErrClosed) {
		revokeErr = revoke(ctx, s.c, id, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case closing:
		s.err = ErrSessionClosed
	case parent.Err() != nil:
		s.err = parent.Err()
	default:
		s.err = err
	}
	s.closeErr = revokeErr
	s.h = nil
	s.status.ID = 0
	s.signalLocked()
}

func (s *Session) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Session) closedErr() error {
	return s.x.Error(context.Background(), MethodKeepAlive, nil, connx.Read, errConnClosed)
}

// revoke revokes the lease id after its keep-alive ended, within the
// lease's TTL (the server drops it after that anyway) and even when ctx has
// ended. A lease already gone is no error.
func revoke(ctx context.Context, c *conn.Conn, id, ttl int64) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(max(time.Duration(ttl)*time.Second, time.Second), 10*time.Second))
	defer cancel()
	_, err := Revoke(rctx, c, ID(id))
	if errors.Is(err, conn.ErrLeaseNotFound) {
		return nil
	}
	return err
}

// sleep waits for d or until ctx ends.
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
