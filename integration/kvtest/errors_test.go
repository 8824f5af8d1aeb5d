package kvtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

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
	t.Logf("gave up after %v", time.Since(start))
}

func TestClosedConn(t *testing.T) {
	c := open(t, nil, conn.Config{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Get(testCtx(t), kv.New().WithKey("a"))
	if !errors.Is(err, conn.ErrClosed) {
		t.Errorf("get on a closed conn = %v, want ErrClosed", err)
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
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put with the server down = %v, want DeadlineExceeded", err)
	}
	if errors.Is(err, conn.ErrUnknownOutcome) || !strings.Contains(err.Error(), "not sent") {
		t.Errorf("unsent put = %q, want a known outcome saying it was not sent", err)
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
