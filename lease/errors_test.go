package lease_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/lease"
)

func TestLostError(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cause := fmt.Errorf("server says: %w", conn.ErrLeaseNotFound)
	for _, tc := range []struct {
		name             string
		err              *lease.LostError
		revoked, expired bool
		msg              string
	}{
		{"revoked", &lease.LostError{ID: 0x2a, Revoked: true, LastAck: at.Add(-1500 * time.Millisecond), TTL: 5, At: at, Cause: cause}, true, false,
			"lease: lease 2a lost: revoked (last renewal acknowledged 1.5s before the server said it was gone; TTL 5s)"},
		{"expired", &lease.LostError{ID: 0x2a, LastAck: at.Add(-7 * time.Second), TTL: 5, At: at, Cause: cause}, false, true,
			"lease: lease 2a lost: expired (last renewal acknowledged 7s before the server said it was gone; TTL 5s)"},
		{"gone before the first renewal", &lease.LostError{ID: 0x2a, At: at, Cause: cause}, false, false,
			"lease: lease 2a not found: revoked or expired before its keep-alive began"},
	} {
		var err error = tc.err
		if !errors.Is(err, lease.ErrLeaseLost) || !errors.Is(err, conn.ErrLeaseNotFound) {
			t.Errorf("%s: does not match ErrLeaseLost and conn.ErrLeaseNotFound", tc.name)
		}
		if errors.Is(err, lease.ErrRevoked) != tc.revoked || errors.Is(err, lease.ErrExpired) != tc.expired {
			t.Errorf("%s: revoked %v expired %v, want %v %v", tc.name, errors.Is(err, lease.ErrRevoked), errors.Is(err, lease.ErrExpired), tc.revoked, tc.expired)
		}
		if errors.Is(err, lease.ErrStopped) {
			t.Errorf("%s matches ErrStopped", tc.name)
		}
		if got := err.Error(); got != tc.msg {
			t.Errorf("%s: Error() = %q, want %q", tc.name, got, tc.msg)
		}
	}
}

// TestNilConn: every call on a nil connection fails with conn.ErrClosed
// instead of panicking; an invalid request is reported first.
func TestNilConn(t *testing.T) {
	ctx := t.Context()
	var c *conn.Conn
	calls := map[string]func() error{
		"Grant":         func() error { _, err := lease.Grant(ctx, c, lease.TTL(5)); return err },
		"Revoke":        func() error { _, err := lease.Revoke(ctx, c, lease.ID(1)); return err },
		"TimeToLive":    func() error { _, err := lease.TimeToLive(ctx, c, lease.ID(1)); return err },
		"Leases":        func() error { _, err := lease.Leases(ctx, c, lease.New()); return err },
		"KeepAliveOnce": func() error { _, err := lease.KeepAliveOnce(ctx, c, lease.ID(1)); return err },
		"KeepAlive":     func() error { _, err := lease.KeepAlive(ctx, c, lease.ID(1)); return err },
		"NewSession":    func() error { _, err := lease.NewSession(ctx, c, lease.TTL(5)); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s on a nil connection: %v, want conn.ErrClosed", name, err)
		}
	}
}
