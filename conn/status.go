package conn

import "time"

// State is the state of one endpoint of a connection.
type State int

// Endpoint states.
const (
	// StateIdle: no connection and none wanted yet.
	StateIdle State = iota
	// StateConnecting: the first connection attempt is under way.
	StateConnecting
	// StateActive: the transport is connected. Calls are sent here once
	// the member's gRPC health check reports it serving, which follows
	// within a round trip on a healthy member.
	StateActive
	// StateReconnecting: an attempt is under way after a failure, or gRPC
	// is waiting for NextRetry to try again.
	StateReconnecting
	// StateFailed: the last attempt failed with LastError; gRPC will try
	// again at about NextRetry.
	StateFailed
	// StateClosed: the connection was closed.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateConnecting:
		return "connecting"
	case StateActive:
		return "active"
	case StateReconnecting:
		return "reconnecting"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// EndpointStatus describes one endpoint of a connection.
type EndpointStatus struct {
	Endpoint  string    // host:port
	State     State     // see State
	Since     time.Time // when State was entered
	Failures  int       // consecutive failed attempts
	LastError error     // the last connection error, if any
	// NextRetry is when gRPC's backoff lets the next attempt start, worked
	// out from the configured backoff (gRPC adds up to 20% jitter either
	// way). Zero when no retry is pending.
	NextRetry time.Time

	// OutOfRotation is set while the member is left out of the rotation
	// of calls because it answered that it has no leader, or that a
	// NOSPACE or CORRUPT alarm is raised; OutSince is when it was taken
	// out, and OutReason why: an error matching ErrNoLeader, ErrNoSpace or
	// ErrCorrupt, with what the last probe found. See "Leader-aware
	// rotation" in the package documentation.
	OutOfRotation bool
	OutSince      time.Time
	OutReason     error
}
