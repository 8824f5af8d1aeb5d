package kvtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestRequestTooLargeNotSent(t *testing.T) {
	c := open(t, nil, conn.Config{MaxCallSendMsgSize: 1024})
	ctx := testCtx(t)
	k := prefix(t) + "big"
	_, err := c.Put(ctx, kv.New().WithKey(k).WithValue(strings.Repeat("x", 2000)))
	if !errors.Is(err, conn.ErrRequestTooLarge) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("put of 2000 bytes with a 1024 limit = %v, want ErrRequestTooLarge", err)
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("status.Code(%v) = %v, want ResourceExhausted", err, status.Code(err))
	}
	if !strings.Contains(err.Error(), "1024") || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("error does not give the sizes: %q", err)
	}
	r, err := c.Get(ctx, kv.New().WithKey(k))
	if err != nil || len(r.KVs) != 0 {
		t.Errorf("the oversized put reached the server: %v %+v", err, r)
	}
}

func TestServerRequestTooLarge(t *testing.T) {
	c := open(t, nil, conn.Config{})
	// etcd's default --max-request-bytes is 1.5 MiB; the client's send limit
	// of 2 MiB lets this through to the server, which refuses it.
	_, err := c.Put(testCtx(t), kv.New().WithKey(prefix(t)+"big").WithValue(strings.Repeat("x", 1700*1024)))
	if !errors.Is(err, conn.ErrRequestTooLarge) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("put of 1.7 MiB = %v, want ErrRequestTooLarge from the server", err)
	}
}

func TestContextErrors(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Get(ctx, kv.New().WithKey("a"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("get with a canceled context = %v, want context.Canceled", err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	_, err = c.Put(dctx, kv.New().WithKey(prefix(t)+"k").WithValue("v"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("put past its deadline = %v, want context.DeadlineExceeded", err)
	}
}

func TestErrorsNameEndpoint(t *testing.T) {
	c := open(t, nil, conn.Config{})
	_, err := c.Get(testCtx(t), kv.New().WithKey("a").WithRev(1<<40))
	var ce *conn.Error
	if !errors.As(err, &ce) || !errors.Is(err, conn.ErrFutureRev) {
		t.Fatalf("future revision = %v", err)
	}
	if !slices.Contains(shared.Endpoints(), ce.Endpoint) || !strings.Contains(err.Error(), ce.Endpoint) {
		t.Errorf("error names %q, want one of %q: %q", ce.Endpoint, shared.Endpoints(), err)
	}
}

func TestUnreachable(t *testing.T) {
	start := time.Now()
	_, err := conn.New(context.Background(), conn.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: 300 * time.Millisecond})
	if !errors.Is(err, conn.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("New on a closed port = %v, want ErrUnavailable naming it", err)
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("status.Code(%v) = %v, want Unavailable", err, status.Code(err))
	}
	t.Logf("gave up after %v", time.Since(start))
}

// When the caller's context ends before DialTimeout, New's error is as
// useful as when DialTimeout ends first: an *Error naming the endpoints and
// matching ErrUnavailable, and also the context's error.
func TestUnreachableContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: time.Minute})
	var ce *conn.Error
	if !errors.As(err, &ce) || !errors.Is(err, conn.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("New on a closed port, context ending first = %v, want an *Error matching ErrUnavailable and DeadlineExceeded", err)
	}
	if !slices.Equal(ce.Tried, []string{"127.0.0.1:1"}) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q (Tried %q) does not name the endpoint", err, ce.Tried)
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("status.Code(%v) = %v, want DeadlineExceeded", err, status.Code(err))
	}
}

func TestClosedConn(t *testing.T) {
	c := open(t, nil, conn.Config{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get(testCtx(t), kv.New().WithKey("a"))
	if !errors.Is(err, conn.ErrClosed) || status.Code(err) == codes.OK {
		t.Errorf("get on a closed conn = %v (code %v), want ErrClosed with a failure code", err, status.Code(err))
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestUnsentWriteIsKnown stops the server under a connection: a write that
// times out waiting for an endpoint never left the client, so its outcome
// is known (not applied) and the error must not claim otherwise.
func TestUnsentWriteIsKnown(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, s, conn.Config{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.Put(ctx, kv.New().WithKey("k").WithValue("v"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, conn.ErrUnavailable) {
		t.Fatalf("put with the server down = %v, want DeadlineExceeded and ErrUnavailable", err)
	}
	if errors.Is(err, conn.ErrUnknownOutcome) || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("unsent put = %q, want a known outcome saying it was not sent", err)
	}
	var ce *conn.Error
	if !errors.As(err, &ce) || !ce.NotSent || ce.Endpoint != "" || !slices.Equal(ce.Tried, s.Endpoints()) {
		t.Errorf("unsent put: %#v, want NotSent, no Endpoint, Tried %q", ce, s.Endpoints())
	}
}

// TestRequestTimeouts: with the server gone, a call whose context has no
// deadline is bounded by Config.RequestTimeout, and a request's own
// WithTimeout wins over it.
func TestRequestTimeouts(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, s, conn.Config{RequestTimeout: 300 * time.Millisecond})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get(context.Background(), kv.New().WithKey("k"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get bounded by RequestTimeout = %v, want DeadlineExceeded", err)
	}
	_, err = c.Get(context.Background(), kv.New().WithKey("k").WithTimeout(50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get bounded by WithTimeout = %v, want DeadlineExceeded", err)
	}
}
