package kvtest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/registry"
)

// gatedDialer signals dialing each time gRPC dials, then waits for gate
// (nil: fail at once) before dialing the real address.
func gatedDialer(dialing chan<- struct{}, gate <-chan struct{}) grpc.DialOption {
	return grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		select {
		case dialing <- struct{}{}:
		default:
		}
		if gate == nil {
			return nil, errors.New("refused by the test")
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
}

// An Open that fails after CloseAll dropped its name must not unregister the
// connection opened under that name meanwhile.
func TestFailedOpenKeepsTheNextConnection(t *testing.T) {
	r := registry.New()
	t.Cleanup(func() { _ = r.CloseAll() })
	ctx := testCtx(t)
	dialing := make(chan struct{}, 1)
	firstCtx, cancelFirst := context.WithCancel(ctx)
	defer cancelFirst()
	first := make(chan error, 1)
	go func() {
		_, err := r.Open(firstCtx, "main", conn.Config{Endpoints: shared.Endpoints(), DialTimeout: time.Minute,
			DialOptions: []grpc.DialOption{gatedDialer(dialing, nil)}})
		first <- err
	}()
	<-dialing // the name is reserved and the first Open waits for an endpoint
	if err := r.CloseAll(); err != nil {
		t.Fatal(err)
	}
	second, err := r.Open(ctx, "main", conn.Config{Endpoints: shared.Endpoints()})
	if err != nil {
		t.Fatalf("Open after CloseAll: %v", err)
	}
	cancelFirst()
	if err := <-first; err == nil {
		t.Fatal("the first Open succeeded without an endpoint")
	}
	got, err := r.Lookup("main")
	if err != nil || got != second {
		t.Errorf("Lookup(main) = %p, %v after the first Open failed; want the second connection %p", got, err, second)
	}
}

// An Open whose name CloseAll dropped while it was connecting closes the
// connection it made and fails, rather than returning a connection nobody
// can look up or close by name.
func TestOpenAfterCloseAllClosesItsConnection(t *testing.T) {
	r := registry.New()
	t.Cleanup(func() { _ = r.CloseAll() })
	ctx := testCtx(t)
	dialing := make(chan struct{}, 1)
	gate := make(chan struct{})
	type result struct {
		c   *conn.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := r.Open(ctx, "late", conn.Config{Endpoints: shared.Endpoints(), DialTimeout: time.Minute,
			DialOptions: []grpc.DialOption{gatedDialer(dialing, gate)}})
		done <- result{c, err}
	}()
	<-dialing
	if err := r.CloseAll(); err != nil {
		t.Fatal(err)
	}
	close(gate)
	res := <-done
	if res.c != nil {
		t.Cleanup(func() { _ = res.c.Close() })
	}
	if res.err == nil || !errors.Is(res.err, conn.ErrClosed) {
		t.Errorf("Open whose name was closed meanwhile = %p, %v; want an error matching conn.ErrClosed", res.c, res.err)
	}
	if _, err := r.Lookup("late"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Lookup(late) = %v, want ErrNotFound", err)
	}
}
