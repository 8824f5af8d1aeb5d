package stm

import (
	"math/rand/v2"
	"time"

	"github.com/getcd/getcd/internal/errs"
)

// Defaults of Backoff.
const (
	DefaultBackoffBase = 2 * time.Millisecond
	DefaultBackoffMax  = 100 * time.Millisecond
)

// Backoff says how long Run pauses after a conflict before the next attempt.
// The pause after attempt n is drawn uniformly from [0, Ceiling(n)], where
// the ceiling starts at Base and doubles with each attempt up to Max ("full
// jitter"): transactions that collided spread out instead of colliding again
// in step. An attempt that follows a pause reads afresh, in one round trip,
// the keys the conflicting one read: what the commit's failure branch read
// is older than the pause. The zero value is the defaults.
type Backoff struct {
	Base time.Duration // ceiling after the first attempt; 0 means DefaultBackoffBase (or Max, if smaller)
	Max  time.Duration // largest ceiling; 0 means DefaultBackoffMax (or Base, if larger)
}

// withDefaults fills in zero fields; a default never contradicts the other
// field when that one is set.
func (b Backoff) withDefaults() Backoff {
	switch {
	case b.Base == 0 && b.Max == 0:
		b.Base, b.Max = DefaultBackoffBase, DefaultBackoffMax
	case b.Base == 0:
		b.Base = min(DefaultBackoffBase, b.Max)
	case b.Max == 0:
		b.Max = max(DefaultBackoffMax, b.Base)
	}
	return b
}

// Validate reports a negative duration, or a Max below Base, as an error
// that matches ErrInvalidRequest.
func (b Backoff) Validate() error {
	switch {
	case b.Base < 0:
		return invalid("backoff.base", errs.Negative(int64(b.Base)))
	case b.Max < 0:
		return invalid("backoff.max", errs.Negative(int64(b.Max)))
	}
	if d := b.withDefaults(); d.Max < d.Base {
		return invalid("backoff.max", d.Max.String()+" is below the base of "+d.Base.String())
	}
	return nil
}

// Ceiling returns the longest pause after the given attempt (from 1):
// Base·2^(attempt-1), at most Max.
func (b Backoff) Ceiling(attempt int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		if d > b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}

// delay draws the pause after the given attempt.
func (b Backoff) delay(attempt int) time.Duration {
	return rand.N(b.Ceiling(attempt) + 1)
}
