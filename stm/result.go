package stm

import (
	"time"

	"github.com/getcd/getcd/conn"
)

// Result is what Run did. It is filled in on failure too, as far as known.
type Result struct {
	// Committed is true when the transaction took effect: its writes were
	// applied at Revision, or, with nothing to write, its reads were
	// consistent as the isolation level promises.
	Committed bool

	// Revision is the store revision of the commit. For a transaction that
	// wrote nothing it is the revision its reads reflect (the snapshot of
	// the serializable levels), or 0 if it read nothing.
	Revision int64

	// Attempts is the number of times the function ran.
	Attempts int

	// Header is the response header of the commit; zero when no commit was
	// sent.
	Header conn.Header
}

// Retry describes an attempt that ended in a conflict, for the hook set with
// WithOnRetry.
type Retry struct {
	Attempt int           // the attempt that conflicted, from 1
	Keys    []string      // the keys it found changed, sorted; nil when not known
	Delay   time.Duration // the pause before the next attempt
}
