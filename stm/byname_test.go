package stm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/stm"
)

// TestByNameUnknown: run by name, a request whose connection is not
// registered fails at the lookup and its function never runs.
func TestByNameUnknown(t *testing.T) {
	ran := false
	req := stm.On("nope", func(context.Context, *stm.Tx) error { ran = true; return nil })
	_, err := registry.CallIn(context.Background(), registry.New(), stm.Run, req)
	if !errors.Is(err, registry.ErrNotFound) || ran {
		t.Errorf("unknown name: %v (function ran: %v), want registry.ErrNotFound and no run", err, ran)
	}
	_, err = registry.CallIn(context.Background(), registry.New(), stm.Run, req.WithConn(""))
	if !errors.Is(err, registry.ErrNoName) || ran {
		t.Errorf("no name: %v (function ran: %v), want registry.ErrNoName and no run", err, ran)
	}
}
