package lease

import (
	"errors"
	"strconv"
	"time"
)

// Sentinels of the lease package. Errors of the calls themselves are conn's
// (*conn.Error, matching conn.ErrLeaseNotFound, conn.ErrUnknownOutcome,
// conn.ErrClosed, ...); these say why a keep-alive or a session ended.
var (
	// ErrLeaseLost is matched by every error that says the server no
	// longer has a lease that was being kept alive (*LostError).
	ErrLeaseLost = errors.New("lease: lease lost")

	// ErrRevoked is matched by a *LostError when the server dropped the
	// lease while its last acknowledgement still promised it time: someone
	// revoked it.
	ErrRevoked = errors.New("lease: lease revoked")

	// ErrExpired is matched by a *LostError when no acknowledgement arrived
	// for longer than the TTL and the server, asked, no longer had the
	// lease.
	ErrExpired = errors.New("lease: lease expired")

	// ErrStopped is the error of a keep-alive ended by Handle.Stop.
	ErrStopped = errors.New("lease: keep-alive stopped")

	// ErrSessionClosed is the error of a session ended by Session.Close.
	ErrSessionClosed = errors.New("lease: session closed")

	// ErrNotStarted is the error of a Handle or Session that KeepAlive or
	// NewSession did not make (a zero value, or nil): it is ended from the
	// start, and its calls send nothing.
	ErrNotStarted = errors.New("lease: not started: a Handle comes from KeepAlive, a Session from NewSession")
)

// LostError says that the server no longer has a lease that was being kept
// alive. It matches ErrLeaseLost, and ErrRevoked or ErrExpired, and wraps
// the server's answer (which matches conn.ErrLeaseNotFound).
//
// Revoked versus expired is the handle's judgement from what it saw: the
// server does not say which. A lease the server dropped while the last
// acknowledgement still promised it time was revoked; one that went longer
// than its TTL without an acknowledgement expired. A lease that was gone
// before its first renewal (KeepAlive's error) is neither.
type LostError struct {
	ID      int64     // the lease
	Revoked bool      // see ErrRevoked and ErrExpired
	LastAck time.Time // when the last renewal was acknowledged; zero if none was
	TTL     int64     // the TTL the last acknowledgement granted, in seconds
	At      time.Time // when the server's answer arrived
	Cause   error     // the server's answer: a *conn.Error matching conn.ErrLeaseNotFound
}

func (e *LostError) Error() string {
	if e == nil {
		return "lease: <nil>"
	}
	id := strconv.FormatInt(e.ID, 16)
	switch {
	case e.LastAck.IsZero():
		return "lease: lease " + id + " not found: revoked or expired before its keep-alive began"
	case e.Revoked:
		return "lease: lease " + id + " lost: revoked " + e.since()
	}
	return "lease: lease " + id + " lost: expired " + e.since()
}

func (e *LostError) since() string {
	return "(last renewal acknowledged " + e.At.Sub(e.LastAck).Round(time.Millisecond).String() +
		" before the server said it was gone; TTL " + strconv.FormatInt(e.TTL, 10) + "s)"
}

// Is matches ErrLeaseLost, and ErrRevoked or ErrExpired.
func (e *LostError) Is(target error) bool {
	if e == nil {
		return false
	}
	switch target {
	case ErrLeaseLost:
		return true
	case ErrRevoked:
		return e.Revoked
	case ErrExpired:
		return !e.Revoked && !e.LastAck.IsZero()
	}
	return false
}

// Unwrap returns the server's answer.
func (e *LostError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Cause
}
