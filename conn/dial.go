package conn

import (
	"context"
	"strings"

	"github.com/getcd/getcd/internal/connx"
)

func init() { connx.DialHook = dialOne }

// dialOne opens a new connection to endpoint alone, with c's configuration:
// TLS, user and password, limits, backoff, dial options and logger. An
// endpoint without a scheme uses TLS when c's endpoints do. The new
// connection authenticates on its own. It is how the admin packages reach
// one chosen member (connx.Dial).
func dialOne(ctx context.Context, c *Conn, endpoint string) (*Conn, error) {
	if err := c.usable("dial"); err != nil {
		return nil, err
	}
	if c.closed.Load() {
		return nil, &Error{Method: "dial", Endpoint: endpoint, kind: ErrClosed}
	}
	cfg := c.cfg
	if !strings.Contains(endpoint, "://") && len(c.eps) > 0 && c.eps[0].secure {
		endpoint = "https://" + endpoint
	}
	cfg.Endpoints = []string{endpoint}
	return New(ctx, cfg)
}
