package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func TestUnknownNames(t *testing.T) {
	r := New()
	_, err := r.Lookup("missing")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("Lookup(missing) = %v, want ErrNotFound naming it", err)
	}
	if err := r.Close("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Close(missing) = %v", err)
	}
	ctx := context.Background()
	if _, err := r.Get(ctx, kv.New().WithKey("a")); !errors.Is(err, ErrNoName) {
		t.Errorf("Get without a name = %v, want ErrNoName", err)
	}
	if _, err := r.Put(ctx, kv.On("other").WithKey("a")); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("Put on unknown name = %v", err)
	}
	if _, err := r.Txn(ctx, op.NewTxn().WithConn("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Txn on unknown name = %v", err)
	}
}

func TestOpenInvalidConfigFreesName(t *testing.T) {
	r := New()
	_, err := r.Open(context.Background(), "main", conn.Config{})
	if !errors.Is(err, conn.ErrInvalidConfig) {
		t.Fatalf("Open with empty config = %v, want ErrInvalidConfig", err)
	}
	if names := r.Names(); len(names) != 0 {
		t.Errorf("failed Open left names %v", names)
	}
	if _, err := r.Open(context.Background(), "", conn.Config{}); err == nil {
		t.Errorf("Open with empty name succeeded")
	}
}

func TestTableRender(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	tab := Table{
		{Name: "main", EndpointStatus: conn.EndpointStatus{Endpoint: "127.0.0.1:2379", State: conn.StateActive, Since: now.Add(-5 * time.Second)}},
		{Name: "main", EndpointStatus: conn.EndpointStatus{Endpoint: "127.0.0.1:22379", State: conn.StateFailed, Since: now.Add(-time.Second),
			Failures: 3, LastError: errors.New("connection refused"), NextRetry: now.Add(400 * time.Millisecond)}},
		{Name: "main", EndpointStatus: conn.EndpointStatus{Endpoint: "127.0.0.1:32379", State: conn.StateActive, Since: now.Add(-time.Minute),
			OutOfRotation: true, OutSince: now.Add(-1500 * time.Millisecond), OutReason: conn.ErrNoLeader}},
	}
	got := tab.render(now)
	want := `+------+-----------------+--------+----------------------------------------------------------------------------------+
| NAME | ENDPOINT        | STATE  | DETAIL                                                                           |
+------+-----------------+--------+----------------------------------------------------------------------------------+
| main | 127.0.0.1:2379  | active | for 5s                                                                           |
| main | 127.0.0.1:22379 | failed | for 1s, failed attempts: 3, next retry in ~400ms, last error: connection refused |
| main | 127.0.0.1:32379 | active | out of rotation for 1.5s (conn: no leader), for 1m0s                             |
+------+-----------------+--------+----------------------------------------------------------------------------------+
`
	if got != want {
		t.Errorf("render:\n%s\nwant:\n%s", got, want)
	}
}

func TestNameSentinels(t *testing.T) {
	r := New()
	if _, err := r.Open(context.Background(), "", conn.Config{}); !errors.Is(err, ErrEmptyName) {
		t.Errorf("Open with an empty name = %v, want ErrEmptyName", err)
	}
	if err := r.Add("", nil); !errors.Is(err, ErrEmptyName) {
		t.Errorf("Add with an empty name = %v, want ErrEmptyName", err)
	}
	if err := r.Add("x", nil); !errors.Is(err, ErrNoConn) {
		t.Errorf("Add of nil = %v, want ErrNoConn", err)
	}
	if err := r.Add("x", &conn.Conn{}); !errors.Is(err, ErrNoConn) {
		t.Errorf("Add of a zero Conn = %v, want ErrNoConn", err)
	}
	if names := r.Names(); len(names) != 0 {
		t.Errorf("failed Adds left names %v", names)
	}
	for err, code := range map[error]codes.Code{
		r.Add("", nil):     codes.InvalidArgument,
		r.Close("missing"): codes.NotFound,
		(&NameError{Name: "x", Err: ErrAlreadyOpen}): codes.AlreadyExists,
	} {
		if got := status.Code(err); got != code {
			t.Errorf("status.Code(%v) = %v, want %v", err, got, code)
		}
	}
}

// A transaction without a name of its own runs on the name its requests
// agree on; without any, or with several, the error says what to do.
func TestTxnNameFromRequests(t *testing.T) {
	r := New()
	ctx := context.Background()
	_, err := r.Txn(ctx, op.NewTxn().Then(op.Put(kv.On("orders").WithKey("k"))))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"orders"`) {
		t.Errorf("txn whose requests name orders = %v, want a lookup of orders", err)
	}
	_, err = r.Txn(ctx, op.NewTxn().Then(op.Put(kv.New().WithKey("k"))))
	if !errors.Is(err, ErrNoName) || !strings.Contains(err.Error(), "op.Txn.WithConn") {
		t.Errorf("txn naming nothing = %v, want ErrNoName pointing to op.Txn.WithConn", err)
	}
	_, err = r.Txn(ctx, op.NewTxn().Then(op.Put(kv.On("a").WithKey("k"))).Else(op.Put(kv.On("b").WithKey("k"))))
	if !errors.Is(err, ErrConflictingNames) || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("txn whose requests disagree = %v, want ErrConflictingNames naming both", err)
	}
	_, err = r.Get(ctx, kv.New().WithKey("k"))
	if !errors.Is(err, ErrNoName) || !strings.Contains(err.Error(), "kv.On(name)") {
		t.Errorf("get naming nothing = %v, want ErrNoName pointing to kv.On", err)
	}
}
