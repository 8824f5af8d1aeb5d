// Package connx is the side door of a *conn.Conn for getcd's own packages
// (lease, watch, stm, the admin calls): unary calls with the connection's
// call options, auth and outcome classification, streams, the mapping of
// stream errors to conn's error vocabulary, and per-connection state such
// as a stream multiplexer. Users never see it: no exported identifier of
// the library mentions it.
//
// Package conn installs the accessor in Hook from its init; Get reaches it:
//
//	x, err := connx.Get(c) // c is a *conn.Conn
//	err = x.Invoke(ctx, method, req, resp, connx.Write)
package connx

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
)

// Kind says whether a call changes state. It decides whether a failed call
// may report an unknown outcome, and it is the contract that only Read
// calls appear in the connection's retry policy.
type Kind uint8

// Call kinds.
const (
	// Read changes nothing: it may be retried and never has an unknown
	// outcome.
	Read Kind = iota
	// Write changes state: once sent, a failure without a definite
	// rejection leaves its fate unknown.
	Write
)

// Conn is what getcd's packages use of a *conn.Conn.
type Conn interface {
	// Invoke runs one unary RPC: size check, auth token (re-authenticating
	// once on an expired token), the connection's call options, and the
	// mapping of failures to *conn.Error with the outcome known or not.
	Invoke(ctx context.Context, method string, req, resp proto.Message, kind Kind) error

	// NewStream opens a stream with the connection's call options (wait
	// for a ready endpoint, message size limits) followed by opts. The
	// auth token travels as per-RPC credentials, as for unary calls.
	NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error)

	// Error maps an error from a stream (or from any gRPC call made
	// outside Invoke) to a *conn.Error. p is the peer the call reached,
	// nil or empty when the call was never sent. ctx is the caller's
	// context: when it has ended the error also matches its error.
	Error(ctx context.Context, method string, p *peer.Peer, kind Kind, err error) error

	// Reauth is for stream owners: when err says the auth token was
	// invalid or expired, it authenticates again and reports true, so the
	// caller may open the stream again; otherwise it reports false.
	Reauth(ctx context.Context, err error) (bool, error)

	// Shared returns the connection's object under key, creating it with
	// create on first use. Conn.Close closes every such object, after the
	// connection stopped accepting new calls and before its gRPC
	// connection closes. On a closed connection Shared returns an error
	// matching conn.ErrClosed and does not call create.
	Shared(key any, create func() io.Closer) (io.Closer, error)

	// Done is closed when the connection is closed.
	Done() <-chan struct{}

	// Logger is the connection's logger (never nil).
	Logger() *slog.Logger
}

// Hook is set once by package conn to a func(*conn.Conn) (Conn, error).
// It is typed any only to avoid an import cycle.
var Hook any

// ErrNoHook is returned by Get for a type package conn did not register.
var ErrNoHook = errors.New("connx: not a getcd connection")

// Get returns the plumbing of c, which must be a *conn.Conn. It fails with
// an error matching conn.ErrClosed for a nil or zero *conn.Conn.
func Get[C any](c C) (Conn, error) {
	f, ok := Hook.(func(C) (Conn, error))
	if !ok {
		return nil, ErrNoHook
	}
	return f(c)
}

// Shared is the typed form of Conn.Shared: it returns the connection's T
// under key, creating it with create on first use.
func Shared[T io.Closer](c Conn, key any, create func() T) (T, error) {
	v, err := c.Shared(key, func() io.Closer { return create() })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// closed is a channel closed from the start.
var closed = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Closed returns a channel that is closed already: the Done of a handle
// (connection, watch, lease, lock, leadership) that was never started.
func Closed() <-chan struct{} { return closed }
