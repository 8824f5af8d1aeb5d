package conn

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"

	"github.com/getcd/getcd/internal/connx"
)

func init() { connx.DialHook = dialOne }

// dialOne opens a new connection to endpoint alone, with c's configuration:
// TLS, user and password, limits, backoff, dial options and logger. An
// endpoint without a scheme uses TLS when c's endpoints do. The new
// connection authenticates on its own. It is how the admin packages reach
// one chosen member (connx.Dial).
//
// It has no client-side health check: it must reach that member even when
// the member's health service refuses, as a learner's does (etcd lets a
// learner answer only a few calls, Status among them, and not the health
// check), and there is no other member to fail over to anyway.
func dialOne(ctx context.Context, c *Conn, endpoint string) (*Conn, error) {
	if err := c.usable("dial"); err != nil {
		return nil, err
	}
	if c.closed.Load() {
		return nil, c.closedError("dial", "", false, false, "")
	}
	cfg := c.cfg
	if !strings.Contains(endpoint, "://") && c.secure {
		endpoint = "https://" + endpoint
	}
	cfg.Endpoints = []string{endpoint}
	// One member, chosen by the caller: nothing to sync, nothing to rotate.
	cfg.AutoSyncInterval, cfg.DisableRotation = 0, true
	cfg.DialOptions = append(slices.Clip(cfg.DialOptions), grpc.WithDisableHealthCheck())
	return New(ctx, cfg)
}
