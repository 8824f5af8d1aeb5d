package lock_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
)

// session is a non-nil session for validation tests: it is never used,
// since invalid requests are refused before anything looks at it.
var session = new(lease.Session)

// Every invalid request fails with a *kv.FieldError naming the field, and
// nothing is sent: the zero connection would fail any call with
// conn.ErrClosed, so getting the field error proves no call was made.
func TestInvalid(t *testing.T) {
	ctx := context.Background()
	c := &conn.Conn{}
	type call func(context.Context, *conn.Conn, lock.Request) error
	lockCall := func(ctx context.Context, c *conn.Conn, r lock.Request) error {
		_, err := lock.Lock(ctx, c, r)
		return err
	}
	tryCall := func(ctx context.Context, c *conn.Conn, r lock.Request) error {
		_, err := lock.TryLock(ctx, c, r)
		return err
	}
	serverLock := func(ctx context.Context, c *conn.Conn, r lock.Request) error {
		_, err := lock.ServerLock(ctx, c, r)
		return err
	}
	serverUnlock := func(ctx context.Context, c *conn.Conn, r lock.Request) error {
		_, err := lock.ServerUnlock(ctx, c, r)
		return err
	}
	for _, tc := range []struct {
		name  string
		call  call
		req   lock.Request
		field string
	}{
		{"lock: empty prefix", lockCall, lock.New("").WithSession(session), "prefix"},
		{"lock: no prefix", lockCall, lock.Request{}.WithSession(session), "prefix"},
		{"lock: no session", lockCall, lock.New("a"), "session"},
		{"lock: nil session", lockCall, lock.New("a").WithSession(nil), "session"},
		{"lock: lease", lockCall, lock.New("a").WithSession(session).WithLease(1), "lease"},
		{"lock: key", lockCall, lock.Key("a/1").WithSession(session), "key"},
		{"try: nil session", tryCall, lock.New("a").WithSession(nil), "session"},
		{"try: empty prefix", tryCall, lock.New("").WithSession(session), "prefix"},
		{"server lock: no lease", serverLock, lock.New("a"), "lease"},
		{"server lock: zero lease", serverLock, lock.New("a").WithLease(0), "lease"},
		{"server lock: negative lease", serverLock, lock.New("a").WithLease(-5), "lease"},
		{"server lock: both", serverLock, lock.New("a").WithLease(5).WithSession(session), "lease"},
		{"server lock: nil session", serverLock, lock.New("a").WithSession(nil), "session"},
		{"server lock: empty name", serverLock, lock.New("").WithLease(5), "prefix"},
		{"server unlock: empty key", serverUnlock, lock.Key(""), "key"},
		{"server unlock: prefix", serverUnlock, lock.New("a"), "prefix"},
		{"server unlock: lease", serverUnlock, lock.Key("a/1").WithLease(3), "lease"},
	} {
		err := tc.call(ctx, c, tc.req)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Field != tc.field || fe.Pkg != "lock" {
			t.Errorf("%s: got %v, want a lock field error on %q", tc.name, err, tc.field)
		}
		if errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s: the call reached the connection", tc.name)
		}
	}
}

// A valid request reaches the connection: on the zero connection that is
// conn.ErrClosed, which shows that the table above tells the two apart.
func TestValidReachesConn(t *testing.T) {
	ctx := context.Background()
	c := &conn.Conn{}
	if _, err := lock.ServerUnlock(ctx, c, lock.Key("a/1")); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("ServerUnlock: got %v, want conn.ErrClosed", err)
	}
	if _, err := lock.ServerLock(ctx, c, lock.New("a").WithLease(1)); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("ServerLock: got %v, want conn.ErrClosed", err)
	}
	if _, err := lock.Lock(ctx, nil, lock.New("a").WithSession(session)); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("Lock on a nil connection: got %v, want conn.ErrClosed", err)
	}
}

func TestRequestImmutable(t *testing.T) {
	base := lock.New("locks/a")
	on := base.On("main")
	with := base.WithSession(session)
	if base.Conn() != "" || base.Session() != nil {
		t.Errorf("base changed: %q %v", base.Conn(), base.Session())
	}
	if on.Conn() != "main" || on.Session() != nil || with.Session() != session || with.Conn() != "" {
		t.Errorf("derived requests: %q %v / %q %v", on.Conn(), on.Session(), with.Conn(), with.Session())
	}
	if got := base.WithConn("x").Conn(); got != "x" {
		t.Errorf("WithConn: %q", got)
	}
	if got, want := base.KeyFor(0x694d7a1b2c3d4e5f), "locks/a/694d7a1b2c3d4e5f"; got != want {
		t.Errorf("KeyFor: %q, want %q", got, want)
	}
	if got, want := lock.New("locks/a/").KeyFor(255), "locks/a//ff"; got != want {
		t.Errorf("KeyFor with a trailing slash: %q, want %q (etcd's recipe adds one)", got, want)
	}
}

func TestLostError(t *testing.T) {
	err := error(&lock.LostError{Key: "a/1", Token: 7, Cause: lease.ErrRevoked})
	if !errors.Is(err, lock.ErrLost) || !errors.Is(err, lease.ErrRevoked) || errors.Is(err, lock.ErrLocked) {
		t.Errorf("LostError matches wrongly: %v", err)
	}
	if got, want := err.Error(), "lock: a/1 (token 7) lost: lease: lease revoked"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	for _, c := range []struct {
		err  *lock.LostError
		want string
	}{
		{&lock.LostError{Key: "a/1", Token: 7, Revision: 9, Cause: lock.ErrKeyDeleted}, "lock: a/1 (token 7) lost: lock: key deleted at revision 9"},
		{&lock.LostError{Key: "a/1", Token: 7, Revision: 9, Cause: lease.ErrRevoked}, "lock: a/1 (token 7) lost: lease: lease revoked (key deleted at revision 9)"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("text %q, want %q", got, c.want)
		}
		if !errors.Is(c.err, lock.ErrLost) || !errors.Is(c.err, c.err.Cause) {
			t.Errorf("%v does not match ErrLost and its cause", c.err)
		}
	}
}

// A zero Mutex (not returned by Lock or TryLock) is a caller's mistake:
// its methods that would act on it fail with a field error instead of
// panicking or sending anything.
func TestZeroMutex(t *testing.T) {
	ctx := context.Background()
	var m lock.Mutex
	check := func(what string, err error) {
		t.Helper()
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Pkg != "lock" || fe.Field != "mutex" {
			t.Errorf("%s of a zero Mutex: %v, want a lock field error on \"mutex\"", what, err)
		}
	}
	unlock := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return m.Unlock(ctx)
	}
	check("Unlock", unlock())
	ok, err := m.IsOwner(ctx)
	check("IsOwner", err)
	if ok {
		t.Error("IsOwner of a zero Mutex: true")
	}
}
