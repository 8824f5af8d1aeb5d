package conn_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
)

// Only New makes a Conn; the methods of a zero or nil one fail clearly or
// return nothing, and never panic.
func TestZeroConn(t *testing.T) {
	for name, c := range map[string]*conn.Conn{"zero": {}, "nil": nil} {
		if st := c.Status(); len(st) != 0 {
			t.Errorf("%s: Status() = %v", name, st)
		}
		if eps := c.Endpoints(); len(eps) != 0 {
			t.Errorf("%s: Endpoints() = %v", name, eps)
		}
		select {
		case <-c.Done():
		default:
			t.Errorf("%s: Done() is not closed", name)
		}
		if c.ClientConn() != nil {
			t.Errorf("%s: ClientConn() is not nil", name)
		}
		if cfg := c.Config(); len(cfg.Endpoints) != 0 {
			t.Errorf("%s: Config() = %v", name, cfg)
		}
		if err := c.SetEndpoints("127.0.0.1:2379"); !errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s: SetEndpoints() = %v, want ErrClosed", name, err)
		}
		if err := c.Sync(context.Background()); !errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s: Sync() = %v, want ErrClosed", name, err)
		}
		err := c.Close()
		if !errors.Is(err, conn.ErrClosed) || status.Code(err) != codes.FailedPrecondition {
			t.Errorf("%s: Close() = %v (code %v), want ErrClosed, FailedPrecondition", name, err, status.Code(err))
		}
		_, err = c.Get(context.Background(), kv.New().WithKey("k"))
		if !errors.Is(err, conn.ErrClosed) || status.Code(err) != codes.FailedPrecondition {
			t.Errorf("%s: Get() = %v (code %v), want ErrClosed, FailedPrecondition", name, err, status.Code(err))
		}
	}
}

// A nil grpc.DialOption is a configuration mistake: New fails with a
// *ConfigError on DialOptions before dialling (gRPC dereferenced it and
// panicked).
func TestNewNilDialOption(t *testing.T) {
	c, err := conn.New(context.Background(), conn.Config{Endpoints: []string{"127.0.0.1:2379"}, DialOptions: []grpc.DialOption{grpc.WithUserAgent("x"), nil}})
	var ce *conn.ConfigError
	if c != nil || !errors.Is(err, conn.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Field != "DialOptions" {
		t.Errorf("New with a nil DialOption: %v, %v; want a *ConfigError on DialOptions", c, err)
	}
}
