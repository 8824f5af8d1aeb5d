package election

import (
	"errors"
	"strconv"
)

// Sentinels of the election package. Errors of the calls themselves are
// conn's (*conn.Error, matching conn.ErrUnknownOutcome, conn.ErrClosed,
// ...) or validation errors (*kv.FieldError, matching kv.ErrInvalidRequest).
var (
	// ErrLost is matched by every error that says a leadership no longer
	// holds (*LostError): its key was deleted (resigned elsewhere, lease
	// revoked or expired, session closed), or a Proclaim or a guarded
	// write found the key gone.
	ErrLost = errors.New("election: leadership lost")

	// ErrVacant is Leader's error when the election has no candidate (etcd's
	// "election: no leader").
	ErrVacant = errors.New("election: no leader")

	// ErrResigned is the Err of a Leadership ended by its Resign.
	ErrResigned = errors.New("election: resigned")
)

// LostError says that a leadership no longer holds. It matches ErrLost and
// wraps its cause when there is one.
type LostError struct {
	Key LeaderKey
	// Revision is the revision at which the key was seen deleted (0 when
	// the loss was learnt another way).
	Revision int64
	// Cause is why tracking ended without a deletion being seen (the
	// connection closed, the server refused the watch, ...), or the
	// server's refusal of a server-side Proclaim; nil when the deletion
	// was seen or the key was found missing.
	Cause error
}

func (e *LostError) Error() string {
	if e == nil {
		return "election: <nil>"
	}
	s := "election: leadership of " + strconv.Quote(e.Key.Key) + " (create revision " + strconv.FormatInt(e.Key.Rev, 10) + ") lost"
	switch {
	case e.Revision > 0:
		s += ": key deleted at revision " + strconv.FormatInt(e.Revision, 10)
	case e.Cause != nil:
		s += ": " + e.Cause.Error()
	default:
		s += ": key gone"
	}
	return s
}

// Is matches ErrLost.
func (e *LostError) Is(target error) bool { return e != nil && target == ErrLost }

// Unwrap returns the cause, if any.
func (e *LostError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Cause
}
