package watch

import (
	"errors"
	"strings"
)

// ErrClosed is the cause of the end of a watch or mirror ended by its Close
// method.
var ErrClosed = errors.New("watch: closed")

// ErrNotStarted is the cause of the end of a Watcher that Open did not
// make, or a Mirror that OpenMirror did not make (a zero value, or nil): it
// is ended from the start, and nothing is sent.
var ErrNotStarted = errors.New("watch: not started: a Watcher comes from Open, a Mirror from OpenMirror")

// notStarted is the final error of a Watcher or Mirror never started (a
// new one each time: callers may keep and change what they get).
func notStarted() *Error { return &Error{Cause: ErrNotStarted} }

// ErrIDInUse is the cause of the end of a watch whose WithWatchID is
// already taken by another watch on the connection's stream.
var ErrIDInUse = errors.New("watch: watch id already in use on the stream")

// Error says why a watch or mirror ended. Every final error of this package
// is an *Error; errors.Is sees through it to its cause:
//
//   - context.Canceled or context.DeadlineExceeded: the context given to
//     Open or OpenMirror ended;
//   - ErrClosed: Close was called;
//   - conn.ErrClosed: the connection was closed;
//   - conn.ErrCompacted: the revision the watch needed is compacted
//     (CompactRevision says from where the server still has history);
//   - conn.ErrWatchCanceled, conn.ErrPermissionDenied, ...: the server
//     cancelled the watch (Reason quotes it);
//   - ErrIDInUse: WithWatchID named an ID another watch holds;
//   - ErrNotStarted: the Watcher or Mirror was not made by Open or
//     OpenMirror (a zero value, or nil).
//
// When the watch was waiting to resume on a new stream at the end, Last is
// the failure it was recovering from, and errors.Is matches it too: a watch
// whose context ends while no member has a leader matches both
// context.DeadlineExceeded and conn.ErrNoLeader.
type Error struct {
	// Cause is what ended the watch.
	Cause error
	// Last is the stream failure the watch was resuming from, or nil.
	Last error
	// Next is the first revision the consumer has not received: a new
	// watch with WithStartRevision(Next) carries on without a gap or a
	// duplicate. Zero when unknown (the server never created the watch
	// and it had no start revision).
	Next int64
	// CompactRevision is, for a compacted watch, the oldest revision the
	// server still keeps.
	CompactRevision int64
	// Reason is the server's reason when it cancelled the watch.
	Reason string
}

func (e *Error) Error() string {
	if e == nil {
		return "watch: <nil>"
	}
	cause := "unknown cause"
	if e.Cause != nil {
		cause = e.Cause.Error()
	}
	var b strings.Builder
	b.WriteString("watch: ended")
	if e.Next > 0 {
		b.WriteString(" before revision ")
		b.WriteString(itoa(e.Next))
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(cause, "watch: "))
	if e.CompactRevision > 0 {
		b.WriteString(" (compacted up to revision ")
		b.WriteString(itoa(e.CompactRevision))
		b.WriteString(")")
	}
	if e.Reason != "" && !strings.Contains(cause, e.Reason) {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Last != nil {
		b.WriteString("; while resuming after: ")
		b.WriteString(e.Last.Error())
	}
	return b.String()
}

// Unwrap returns the cause and, when set, the last stream failure.
func (e *Error) Unwrap() []error {
	if e == nil {
		return nil
	}
	var errs []error
	for _, err := range []error{e.Cause, e.Last} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
