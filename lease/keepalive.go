package lease

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// KeepAlive keeps the lease r names (lease.ID(id)) alive until ctx ends,
// Stop is called, the lease is lost or the connection closes. Every lease
// kept alive on one connection shares the connection's one keep-alive
// stream; each is renewed a third of its TTL after its last
// acknowledgement.
//
// KeepAlive returns once the server acknowledged the first renewal, so the
// handle starts with the TTL the server granted. A lease the server does
// not have fails at once with an error matching conn.ErrLeaseNotFound (and
// ErrLeaseLost); ctx ending first returns its error.
//
// The handle needs no draining: Done is closed when it ends and Err says
// why (ErrRevoked, ErrExpired, context.Canceled or DeadlineExceeded,
// conn.ErrClosed, ErrStopped); TTL and LastAck show its state.
//
// ctx bounds the keep-alive's whole life, not only the first renewal: a
// context made for setting things up (context.WithTimeout around the call)
// ends the keep-alive when it expires, and the lease then lapses a TTL
// later. Pass a context that lives as long as the lease should; Err then
// says context.DeadlineExceeded if it was the cause.
func KeepAlive(ctx context.Context, c *conn.Conn, r Request) (*Handle, error) {
	if err := r.checkKeepAlive(); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxEnded(r.id, err)
	}
	m, err := connx.Shared(x, muxKey{}, func() *mux { return newMux(x) })
	if err != nil {
		return nil, err
	}
	h := &Handle{m: m, id: r.id, done: make(chan struct{}), startc: make(chan struct{})}
	if err := m.add(ctx, h); err != nil {
		return nil, err
	}
	<-h.startc // closed at the first acknowledgement, or when h ends
	if err := h.Err(); err != nil {
		return nil, err
	}
	return h, nil
}

// Handle is one lease being kept alive. Its methods are safe for
// concurrent use. Nothing needs draining: Done and Err say when and why it
// ended, TTL and LastAck how it is doing.
type Handle struct {
	m       *mux
	id      int64
	done    chan struct{}
	startc  chan struct{}
	stopCtx func() bool

	// Guarded by m.mu.
	t       *tracked
	started bool
	err     error
	ttl     int64 // at the end
	lastAck time.Time
}

// ID returns the lease's ID.
func (h *Handle) ID() int64 {
	if h == nil {
		return 0
	}
	return h.id
}

// made says whether KeepAlive made h.
func (h *Handle) made() bool { return h != nil && h.m != nil }

// Done is closed when the keep-alive has ended; Err then says why.
func (h *Handle) Done() <-chan struct{} {
	if !h.made() {
		return connx.Closed()
	}
	return h.done
}

// Err returns nil while the lease is being kept alive, and afterwards why
// it ended: a *LostError (ErrLeaseLost, with ErrRevoked or ErrExpired) when
// the server no longer had the lease, the context's error, an error
// matching conn.ErrClosed when the connection closed, or ErrStopped
// (ErrNotStarted for a Handle KeepAlive did not make).
func (h *Handle) Err() error {
	if !h.made() {
		return ErrNotStarted
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.err
}

// TTL returns the lease's TTL in seconds, as the server granted it in its
// last acknowledgement.
func (h *Handle) TTL() int64 {
	if !h.made() {
		return 0
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.err != nil {
		return h.ttl
	}
	return h.t.ttl
}

// LastAck returns when the server last acknowledged a renewal. The lease
// lives at least until LastAck plus TTL, less the time the answer took to
// arrive.
func (h *Handle) LastAck() time.Time {
	if !h.made() {
		return time.Time{}
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.err != nil {
		return h.lastAck
	}
	return h.t.lastAck
}

// Stop stops keeping the lease alive (it does not revoke it: see Revoke).
// When it returns, Done is closed and Err is ErrStopped, unless the
// keep-alive had ended already. The connection's keep-alive stream closes
// when its last lease stops.
func (h *Handle) Stop() { h.end(ErrStopped) }

func (h *Handle) end(err error) {
	if !h.made() {
		return
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	h.m.endLocked(h, err)
}

// ctxEnded is the error of a keep-alive whose context ended.
func ctxEnded(id int64, err error) error {
	return fmt.Errorf("lease: keep-alive of lease %x ended: %w", id, err)
}

// peerOf returns the endpoint a stream reached.
func peerOf(cs grpc.ClientStream) *peer.Peer {
	p, _ := peer.FromContext(cs.Context())
	return p
}
