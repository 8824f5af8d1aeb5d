package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/registry"
)

// Call looks the name up before it runs anything: an unknown name or a
// request without one never reaches the call.
func TestCallNames(t *testing.T) {
	r := registry.New()
	ran := false
	call := func(_ context.Context, c *conn.Conn, req kv.Request) (string, error) {
		ran = true
		return req.Conn(), nil
	}
	if _, err := registry.CallIn(context.Background(), r, call, kv.On("nope").WithKey("k")); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("unknown name: err = %v, want ErrNotFound", err)
	}
	if _, err := registry.CallIn(context.Background(), r, call, kv.New().WithKey("k")); !errors.Is(err, registry.ErrNoName) {
		t.Errorf("no name: err = %v, want ErrNoName", err)
	}
	if ran {
		t.Errorf("the call ran without a connection")
	}
}
