package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getcd/getcd/lease"
)

// A Handle or Session that KeepAlive or NewSession did not make, a zero
// value or nil, is a caller's mistake: every method returns at once, none
// panics, and each says ErrNotStarted where it can say anything. Its Done
// (and Changed) channels are closed, so a caller waiting on them does not
// hang.
func TestZeroValues(t *testing.T) {
	ctx := context.Background()
	for name, h := range map[string]*lease.Handle{"zero": new(lease.Handle), "nil": nil} {
		h.Stop()
		if h.ID() != 0 || h.TTL() != 0 || !h.LastAck().IsZero() {
			t.Errorf("%s Handle: ID %d, TTL %d, LastAck %v", name, h.ID(), h.TTL(), h.LastAck())
		}
		if err := h.Err(); !errors.Is(err, lease.ErrNotStarted) {
			t.Errorf("%s Handle: Err %v, want ErrNotStarted", name, err)
		}
		closed(t, name+" Handle Done", h.Done())
	}
	for name, s := range map[string]*lease.Session{"zero": new(lease.Session), "nil": nil} {
		if s.ID() != 0 || s.Status() != (lease.SessionStatus{}) || s.Keys() != nil {
			t.Errorf("%s Session: ID %d, Status %+v, Keys %v", name, s.ID(), s.Status(), s.Keys())
		}
		if err := s.Err(); !errors.Is(err, lease.ErrNotStarted) {
			t.Errorf("%s Session: Err %v, want ErrNotStarted", name, err)
		}
		closed(t, name+" Session Done", s.Done())
		closed(t, name+" Session Changed", s.Changed())
		if r, err := s.Register(ctx, "k", "v"); r != nil || !errors.Is(err, lease.ErrNotStarted) {
			t.Errorf("%s Session: Register %v, %v; want ErrNotStarted", name, r, err)
		}
		if r, err := s.Unregister(ctx, "k"); r != nil || !errors.Is(err, lease.ErrNotStarted) {
			t.Errorf("%s Session: Unregister %v, %v; want ErrNotStarted", name, r, err)
		}
		if err := s.Close(); !errors.Is(err, lease.ErrNotStarted) {
			t.Errorf("%s Session: Close %v, want ErrNotStarted", name, err)
		}
	}
}

func closed(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Second):
		t.Errorf("%s: not closed", what)
	}
}
