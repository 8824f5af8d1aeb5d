package watch

import (
	"context"
	"errors"
	"sync"

	"github.com/getcd/getcd/internal/connx"
)

// muxKey is the key of a connection's mux in connx.Shared.
type muxKey struct{}

// mux is a connection's watch multiplexer: one group of watches per
// require-leader setting, each group with at most one stream. Conn.Close
// closes it.
type mux struct {
	x       connx.Conn
	closing chan struct{}
	wg      sync.WaitGroup // the groups' owner goroutines

	mu     sync.Mutex // guards closed and the groups' inbox and running
	closed bool
	groups [2]*group // [0] requires a leader, [1] does not
}

func newMux(x connx.Conn) *mux {
	m := &mux{x: x, closing: make(chan struct{})}
	// The reader of a stream may run ahead of the owner by a few
	// responses, so that it keeps draining the stream while the owner
	// waits for the scheduler behind the consumers it woke.
	for i := range m.groups {
		m.groups[i] = &group{m: m, requireLeader: i == 0, wake: make(chan struct{}, 1),
			in: make(chan sessionMsg, readAhead), drained: make(chan struct{}, 1)}
	}
	return m
}

// How far a stream's reader may run ahead of the owner: at most readAhead
// responses of at most readAheadBytes of keys and values in all (one
// response whatever its size).
const (
	readAhead      = 64
	readAheadBytes = 1 << 20
)

// muxOf returns the connection's mux, creating it on first use.
func muxOf(x connx.Conn) (*mux, error) {
	return connx.Shared(x, muxKey{}, func() *mux { return newMux(x) })
}

// group returns the group for a require-leader setting.
func (m *mux) group(requireLeader bool) *group {
	if requireLeader {
		return m.groups[0]
	}
	return m.groups[1]
}

// errMuxClosed is returned by submit once the mux is closed.
var errMuxClosed = errors.New("watch: connection closed")

// submit hands a command to g's owner goroutine, starting it if it is not
// running. It never blocks on the owner.
func (m *mux) submit(g *group, c command) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return errMuxClosed
	}
	g.inbox = append(g.inbox, c)
	if !g.running {
		g.running = true
		m.wg.Add(1)
		go g.run()
	}
	m.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	return nil
}

// takeInbox returns g's pending commands.
func (m *mux) takeInbox(g *group) []command {
	m.mu.Lock()
	in := g.inbox
	g.inbox = nil
	m.mu.Unlock()
	return in
}

// idle marks g's owner as stopped if no command waits; it reports whether
// the owner may exit.
func (m *mux) idle(g *group) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(g.inbox) > 0 {
		return false
	}
	g.running = false
	return true
}

// Close ends every watch of the connection with an error matching
// conn.ErrClosed, closes the streams and waits for every goroutine.
func (m *mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.closing)
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// closedError is the cause of the end of watches on a closed connection:
// a *conn.Error matching conn.ErrClosed.
func (m *mux) closedError() error {
	return m.x.Error(context.Background(), methodWatch, nil, connx.Read, errors.New("connection closed while the watch ran"))
}
