package stm

import (
	"math"
	"testing"
	"time"
)

func TestCeiling(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{Backoff{}, 1, DefaultBackoffBase},
		{Backoff{}, 2, 2 * DefaultBackoffBase},
		{Backoff{}, 3, 4 * DefaultBackoffBase},
		{Backoff{}, 1000, DefaultBackoffMax},
		{Backoff{Base: ms, Max: 5 * ms}, 3, 4 * ms},
		{Backoff{Base: ms, Max: 5 * ms}, 4, 5 * ms},
		{Backoff{Base: time.Second}, 1, time.Second}, // Max raised to Base
		{Backoff{Base: time.Second}, 5, time.Second},
		{Backoff{Max: time.Microsecond}, 1, time.Microsecond},       // Base lowered to Max
		{Backoff{Base: ms, Max: math.MaxInt64}, 200, math.MaxInt64}, // no overflow
		{Backoff{Base: math.MaxInt64 / 3, Max: math.MaxInt64}, 3, math.MaxInt64},
	} {
		if got := tc.b.Ceiling(tc.attempt); got != tc.want {
			t.Errorf("%+v.Ceiling(%d) = %v, want %v", tc.b, tc.attempt, got, tc.want)
		}
	}
}

// TestDelayJitter checks that pauses stay within [0, ceiling] and are not
// all the same.
func TestDelayJitter(t *testing.T) {
	b := Backoff{Base: time.Millisecond, Max: 8 * time.Millisecond}
	for attempt := 1; attempt <= 6; attempt++ {
		ceiling := b.Ceiling(attempt)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.delay(attempt)
			if d < 0 || d > ceiling {
				t.Fatalf("delay(%d) = %v, outside [0, %v]", attempt, d, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("delay(%d) drew one value 200 times: no jitter", attempt)
		}
	}
}
