package lock

import (
	"errors"
	"strconv"
)

// Sentinels of the lock package. Errors of the calls themselves are conn's
// (*conn.Error, matching conn.ErrUnknownOutcome, conn.ErrClosed, ...).
var (
	// ErrLocked is TryLock's error when another holder has the lock. No
	// key of the caller is left behind.
	ErrLocked = errors.New("lock: held by another holder")

	// ErrLost is matched by every *LostError: the lock is no longer held,
	// though its holder did not unlock it.
	ErrLost = errors.New("lock: lost")

	// ErrSessionEnded is matched by the error of Lock, TryLock and
	// ServerLock on a session that has ended (closed, its context ended,
	// or its lease lost without recovery); the error wraps the session's
	// Err too.
	ErrSessionEnded = errors.New("lock: session ended")

	// ErrUnlocked is a Mutex's Err after Unlock released it.
	ErrUnlocked = errors.New("lock: unlocked")

	// ErrKeyDeleted is the cause of a *LostError when the holder's key
	// was deleted, or replaced by a later one, while its session's lease
	// lived (another client deleted it, or a second handle on the same
	// key unlocked it), or when the server could not say whether the
	// lease lived.
	ErrKeyDeleted = errors.New("lock: key deleted")

	// ErrBadResponse is matched by the error of a server-side lock call
	// whose answer is not a valid message. For ServerLock it matches
	// conn.ErrUnknownOutcome too: the server may hold the lock for you.
	ErrBadResponse = errors.New("lock: malformed response")
)

// LostError says that a lock is no longer held: its session's lease was
// lost or the session ended (Cause is then the session's LastLoss, a
// *lease.LostError, or its Err, or an error matching lease.ErrLeaseLost
// when the server said the lease was gone before the session did), its key
// was deleted (ErrKeyDeleted), or the watch on its key could not go on (the
// watch's error, such as one matching conn.ErrClosed). It matches ErrLost
// and its cause.
type LostError struct {
	Key   string // the holder's key
	Token int64  // the lock's fencing token (its key's create revision); 0 if it was never acquired
	// Revision is the revision at which the key was seen deleted; 0 when
	// the loss was learnt another way (the session, a read).
	Revision int64
	Cause    error
}

func (e *LostError) Error() string {
	if e == nil {
		return "lock: <nil>"
	}
	s := "lock: " + e.Key
	if e.Token > 0 {
		s += " (token " + strconv.FormatInt(e.Token, 10) + ")"
	}
	s += " lost"
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	switch {
	case e.Revision == 0:
	case e.Cause == ErrKeyDeleted:
		s += " at revision " + strconv.FormatInt(e.Revision, 10)
	default:
		s += " (key deleted at revision " + strconv.FormatInt(e.Revision, 10) + ")"
	}
	return s
}

// Is matches ErrLost.
func (e *LostError) Is(target error) bool { return e != nil && target == ErrLost }

// Unwrap returns the cause.
func (e *LostError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Cause
}
