package election

import (
	"context"
	"errors"
	"sync"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/watch"
)

// Leadership is a won campaign: the candidate's key, which is the leader
// key while it exists. Its create revision (Rev) is a fencing token, and
// Guard is the transaction condition that holds exactly while the
// leadership does.
//
// One goroutine per leadership watches the key (on the connection's shared
// watch stream) from the revision the campaign wrote it at, so a deletion
// is never missed, even across reconnects and member failures. When the
// key is deleted (the session's lease was revoked or expired, someone
// deleted it, Resign), or tracking cannot go on (the connection closed),
// Done is closed and Err says why: ErrResigned after Resign, otherwise a
// *LostError (ErrLost). A leader cut off from the cluster learns of its
// loss only when it reaches the cluster again; a write made with Guard is
// refused by the server meanwhile, which is what makes the token safe to
// act on. A Leadership's methods are safe for concurrent use.
//
// Only Campaign and Track make a Leadership. One they did not make (a zero
// value, or nil) holds nothing: Done is closed, Err, Proclaim and Resign
// fail with a *kv.FieldError matching kv.ErrInvalidRequest on the field
// "leadership" (nothing is sent), and the other methods return zero values.
type Leadership struct {
	c      *conn.Conn
	key    LeaderKey
	header conn.Header
	ctx    context.Context // ended when tracking ends; its cause is the end's error
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu        sync.Mutex
	value     string
	err       error
	resigning int  // Resigns whose delete is in flight
	unknown   bool // a Resign's delete had an unknown outcome
}

func newLeadership(c *conn.Conn, k LeaderKey, value string, h conn.Header) *Leadership {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Leadership{c: c, key: k, header: h, ctx: ctx, cancel: cancel, done: make(chan struct{}), value: value}
}

// Key returns the leadership's LeaderKey (name, key, create revision,
// lease), for Proclaim and Resign by request or by connection name.
func (l *Leadership) Key() LeaderKey {
	if l == nil {
		return LeaderKey{}
	}
	return l.key
}

// Rev returns the key's create revision: the fencing token. A later
// leadership of the same election always has a higher one.
func (l *Leadership) Rev() int64 { return l.Key().Rev }

// Token is Rev under the name package lock gives its fencing token
// (lock.Mutex.Token), so code that fences with either reads the same.
func (l *Leadership) Token() int64 { return l.Key().Rev }

// Guard is the condition that holds exactly while the leadership does:
// the key exists with its create revision. Writes made in a transaction
// with it are refused once the leadership is lost:
//
//	op.If(l.Guard()).Then(op.Put(kv.New().WithKey("jobs/config").WithValue(v)))
func (l *Leadership) Guard() compare.Cond { return l.Key().Guard() }

// Header is the header of the campaign's write.
func (l *Leadership) Header() conn.Header {
	if l == nil {
		return conn.Header{}
	}
	return l.header
}

// Value returns the value last put or proclaimed through this handle.
func (l *Leadership) Value() string {
	if l == nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.value
}

// Done is closed when the leadership has ended (see Err).
func (l *Leadership) Done() <-chan struct{} {
	if l.check("done") != nil {
		return connx.Closed()
	}
	return l.done
}

// Err returns nil while the leadership holds, as far as the client knows,
// and afterwards why it ended: ErrResigned, or a *LostError matching
// ErrLost.
func (l *Leadership) Err() error {
	if err := l.check("err"); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Proclaim announces a new value without a new election, guarded by the
// key's create revision: if the leadership was lost, nothing is written
// and the error matches ErrLost.
func (l *Leadership) Proclaim(ctx context.Context, value string) (*ProclaimResponse, error) {
	if err := l.check("proclaim"); err != nil {
		return nil, err
	}
	resp, err := Proclaim(ctx, l.c, Of(l.key).WithValue(value))
	if err == nil {
		l.mu.Lock()
		l.value = value
		l.mu.Unlock()
	}
	return resp, err
}

// Resign deletes the key, guarded by its create revision, so that the next
// candidate takes over, and ends the handle with ErrResigned. When the
// outcome of the delete is unknown (conn.ErrUnknownOutcome) the handle goes
// on; call Resign again. A deletion of the key seen after such an outcome
// ends the handle with ErrResigned, not as a loss: most likely it was that
// delete (and the leadership is over either way).
func (l *Leadership) Resign(ctx context.Context) (*ResignResponse, error) {
	if err := l.check("resign"); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.resigning++
	l.mu.Unlock()
	resp, err := Resign(ctx, l.c, Of(l.key))
	if err == nil {
		// Ended before this Resign stops counting as in flight: the
		// tracking goroutine may see the deletion in between, and must
		// take it for this Resign's.
		l.end(ErrResigned)
	}
	l.mu.Lock()
	l.resigning--
	if errors.Is(err, conn.ErrUnknownOutcome) {
		l.unknown = true
	}
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	<-l.done
	return resp, nil
}

// check refuses a Leadership that Campaign or Track did not make (a zero
// value or nil): it has no key, connection or tracking to act on.
func (l *Leadership) check(req string) error {
	if l == nil || l.c == nil || l.done == nil {
		return invalid(req, "leadership", "not a Leadership Campaign or Track returned (a zero or nil one)")
	}
	return nil
}

// end records why the leadership ended, once, and stops tracking.
func (l *Leadership) end(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	err = l.err
	l.mu.Unlock()
	l.cancel(err)
}

// lost ends the leadership after its key was seen deleted at rev (0 when
// it was found missing), or after tracking failed with cause. A deletion
// seen while a Resign is in flight, or after one whose outcome was
// unknown, counts as resigned.
func (l *Leadership) lost(rev int64, cause error) {
	l.mu.Lock()
	resigned := l.resigning > 0 || l.unknown
	l.mu.Unlock()
	if resigned && cause == nil {
		l.end(ErrResigned)
		return
	}
	l.end(&LostError{Key: l.key, Revision: rev, Cause: cause})
}

// track watches the key from revision from on, until it is deleted or the
// handle ends. It runs in the leadership's goroutine.
func (l *Leadership) track(from int64) {
	defer close(l.done)
	for {
		w, err := watch.Open(l.ctx, l.c, watch.Key(l.key.Key).WithStartRevision(from).WithFilterPut())
		if err != nil {
			if l.ctx.Err() == nil {
				l.lost(0, err)
			}
			return
		}
		from = l.follow(w)
		w.Close()
		if from == 0 {
			return
		}
	}
}

// follow reads w until the key is deleted or w ends. It returns the
// revision to watch from again after a compaction (the key still exists),
// or 0 when the leadership has ended.
func (l *Leadership) follow(w *watch.Watcher) int64 {
	for {
		resp, err := w.Next(l.ctx)
		if err != nil {
			if l.ctx.Err() != nil {
				return 0
			}
			if errors.Is(err, conn.ErrCompacted) {
				return l.recheck(err)
			}
			l.lost(0, err)
			return 0
		}
		for _, ev := range resp.Events {
			if ev.Type == watch.Delete {
				l.lost(ev.KV.ModRevision, nil)
				return 0
			}
		}
	}
}

// recheck reads the key after its watch was compacted: the watch goes on
// from the read's revision if the key is still this leadership's.
func (l *Leadership) recheck(cause error) int64 {
	g, err := l.c.Get(l.ctx, kv.New().WithKey(l.key.Key))
	switch {
	case l.ctx.Err() != nil:
		return 0
	case err != nil:
		l.lost(0, errors.Join(cause, err))
		return 0
	case len(g.KVs) == 0 || g.KVs[0].CreateRevision != l.key.Rev:
		l.lost(0, nil)
		return 0
	}
	return g.Header.Revision + 1
}

// Track returns a handle on the leadership r names (election.Of(k)), for a
// leadership won by other means: a server-side campaign (ServerCampaign),
// or a campaign of an earlier run of the process whose lease is still
// kept alive. It reads the key: if it no longer exists with k's create
// revision, Track fails with a *LostError; otherwise the handle watches it
// from that read on, as Campaign's does, and its Proclaim and Resign act on
// it. Track does not check that no earlier candidate remains: a key with
// an earlier create revision leads instead (Leader says who does).
func Track(ctx context.Context, c *conn.Conn, r Request) (*Leadership, error) {
	if err := r.checkLeader("track", trackOpts); err != nil {
		return nil, err
	}
	k := r.leader
	g, err := c.Get(ctx, kv.New().WithKey(k.Key).WithTimeout(r.timeout))
	if err != nil {
		return nil, err
	}
	if len(g.KVs) == 0 || g.KVs[0].CreateRevision != k.Rev {
		return nil, &LostError{Key: k}
	}
	l := newLeadership(c, k, string(g.KVs[0].Value), g.Header)
	go l.track(g.Header.Revision + 1)
	return l, nil
}
