package connx

import "context"

// DialHook is set once by package conn to a
// func(context.Context, *conn.Conn, string) (*conn.Conn, error) that opens
// a new connection to one endpoint with the configuration of the given
// connection (TLS, credentials, limits, dial options, logger). The admin
// calls that must reach one chosen member use it. It is typed any only to
// avoid an import cycle.
var DialHook any

// Dial opens a new connection to endpoint alone, configured like c. The
// caller owns the result and closes it.
func Dial[C any](ctx context.Context, c C, endpoint string) (C, error) {
	f, ok := DialHook.(func(context.Context, C, string) (C, error))
	if !ok {
		var zero C
		return zero, ErrNoHook
	}
	return f(ctx, c, endpoint)
}
