package kvtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// heldAuth is a client interceptor that, while hold is set, stops every
// Authenticate call until release is closed: a server that hangs while
// issuing a token.
type heldAuth struct {
	hold    atomic.Bool
	calls   atomic.Int32 // Authenticate calls held
	entered chan struct{}
	release chan struct{}
}

func (h *heldAuth) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if method == "/etcdserverpb.Auth/Authenticate" && h.hold.Load() {
		h.calls.Add(1)
		h.entered <- struct{}{}
		select {
		case <-h.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// A token refresh is one flight that every caller whose token was refused
// waits for, each within its own context: a caller with a short deadline is
// not held past it by a refresh that hangs, and does not start a second one.
func TestTokenRefreshWaitersKeepTheirDeadlines(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithBcryptCost(4))
	enableAuth(t, s)
	h := &heldAuth{entered: make(chan struct{}, 16), release: make(chan struct{})}
	c := open(t, s, conn.Config{Username: "alice", Password: "alicepw", DialTimeout: time.Minute,
		DialOptions: []grpc.DialOption{grpc.WithUnaryInterceptor(h.intercept)}})
	root := open(t, s, conn.Config{Username: "root", Password: "rootpw", DialTimeout: time.Minute})
	ctx := testCtx(t)
	if _, err := c.Put(ctx, kv.New().WithKey("app/refresh").WithValue("1")); err != nil {
		t.Fatal(err)
	}
	// Changing a password drops the user's tokens: alice's next call is
	// refused with an invalid token, and the connection authenticates again.
	if err := root.ClientConn().Invoke(ctx, "/etcdserverpb.Auth/UserChangePassword",
		&pb.AuthUserChangePasswordRequest{Name: "alice", Password: "alicepw"}, &pb.AuthUserChangePasswordResponse{}); err != nil {
		t.Fatal(err)
	}
	h.hold.Store(true)

	first := make(chan error, 1)
	go func() {
		_, err := c.Put(ctx, kv.New().WithKey("app/refresh").WithValue("2"))
		first <- err
	}()
	select {
	case <-h.entered:
	case err := <-first:
		t.Fatalf("the first call ended without authenticating again: %v", err)
	}

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := c.Get(short, kv.New().WithKey("app/refresh"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a call waiting for the refresh past its deadline = %v, want DeadlineExceeded", err)
	}
	select {
	case err := <-first:
		t.Fatalf("the call with a short deadline returned only after the refresh ended (%v)", err)
	default:
	}
	if n := h.calls.Load(); n != 1 {
		t.Errorf("%d Authenticate calls, want one refresh shared by every waiter", n)
	}

	close(h.release)
	if err := <-first; err != nil {
		t.Fatalf("the call that started the refresh: %v", err)
	}
	r, err := c.Get(ctx, kv.New().WithKey("app/refresh"))
	if err != nil || string(r.KVs[0].Value) != "2" {
		t.Errorf("after the refresh: %v %+v", err, r)
	}
}

// Conn.Config returns the configuration as given, password included, so it
// opens the same connection again; printed, it hides the password.
func TestConfigRoundTrip(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithBcryptCost(4))
	enableAuth(t, s)
	c := open(t, s, conn.Config{Username: "alice", Password: "alicepw", DialTimeout: time.Minute})
	again := open(t, s, c.Config())
	if _, err := again.Put(testCtx(t), kv.New().WithKey("app/again").WithValue("1")); err != nil {
		t.Errorf("a connection opened with Conn.Config(): %v", err)
	}
	if s := fmt.Sprint(c.Config()); strings.Contains(s, "alicepw") {
		t.Errorf("printed config shows the password: %s", s)
	}
}
