package maintenance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// errPoolClosed is returned when the parent connection closed while a
// per-endpoint connection was being opened.
var errPoolClosed = fmt.Errorf("maintenance: per-endpoint connection: %w", conn.ErrClosed)

// on returns the connection a call with r's endpoint goes through, the
// endpoint's host:port ("" when the connection's balancer picks a member),
// and the function to call once the call is done with the connection.
//
// Without WithEndpoint it is c itself. With it, it is c when c has that
// endpoint alone, and otherwise a connection to that endpoint alone that c
// opens on first use (with c's TLS, credentials, limits and dial options)
// and keeps for the next calls: one per distinct endpoint asked for,
// closed once no call has used it for idleClose, and when c closes.
//
// ctx must already carry r's timeout (withTimeout), so that opening the
// connection counts against it.
func on(ctx context.Context, c *conn.Conn, r Request) (*conn.Conn, string, func(), error) {
	if !r.set.has(optEndpoint) {
		return c, "", noRelease, nil
	}
	addr, err := endpointAddr(r.endpoint)
	if err != nil {
		return nil, "", noRelease, err // checked at compile time already
	}
	dc, release, err := dialed(ctx, c, r.endpoint, addr)
	return dc, addr, release, err
}

func noRelease() {}

// idleClose is how long a per-endpoint connection stays open unused: a
// process that asks members that have since gone away does not keep
// reconnecting to them.
var idleClose = 2 * time.Minute

// dialed returns c when it has addr as its only endpoint, else the pooled
// connection to raw (a URL or host:port whose host:port is addr); release
// says the caller is done with it.
func dialed(ctx context.Context, c *conn.Conn, raw, addr string) (*conn.Conn, func(), error) {
	x, err := connx.Get(c)
	if err != nil {
		return nil, noRelease, err
	}
	if eps := c.Endpoints(); len(eps) == 1 && eps[0] == addr {
		return c, noRelease, nil
	}
	p, err := connx.Shared(x, poolKey{}, func() *pool { return &pool{parent: c, conns: map[string]*dial{}} })
	if err != nil {
		return nil, noRelease, err
	}
	return p.get(ctx, x, raw, addr)
}

// withTimeout bounds ctx by r's own timeout, if any, for the whole of a
// call that may first open a per-endpoint connection or look for the
// leader: the earlier deadline wins. The unary calls it makes apply the
// timeout again, which changes nothing.
func withTimeout(ctx context.Context, r Request) (context.Context, context.CancelFunc) {
	if r.timeout > 0 {
		return context.WithTimeout(ctx, r.timeout)
	}
	return ctx, func() {}
}

type poolKey struct{}

// pool holds the per-endpoint connections of one parent connection. It is
// attached with connx.Shared, so the parent's Close closes it.
type pool struct {
	parent *conn.Conn

	mu     sync.Mutex
	closed bool
	conns  map[string]*dial // by host:port
}

// dial is one per-endpoint connection, ready once done is closed.
type dial struct {
	done chan struct{}
	c    *conn.Conn
	err  error

	// Guarded by pool.mu.
	users int         // calls using c
	idle  *time.Timer // set while nobody uses c: closes it after idleClose
	gen   uint64      // which idle timer is d's current one
}

// get returns the connection to addr, opening it when there is none, and
// the function that says the caller is done with it. Only one caller opens
// it; the others wait for it. A failed open is not kept: the next call
// tries again (a waiter whose opener failed tries itself, so that one
// caller's ended context does not fail the others).
//
// x is the parent's plumbing: a waiter whose context ends fails as the
// opener would, with a *conn.Error matching conn.ErrUnavailable and the
// context's error.
func (p *pool) get(ctx context.Context, x connx.Conn, raw, addr string) (*conn.Conn, func(), error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, noRelease, errPoolClosed
		}
		d, ok := p.conns[addr]
		if !ok {
			d = &dial{done: make(chan struct{}), users: 1}
			p.conns[addr] = d
			p.mu.Unlock()
			c, err := p.open(ctx, d, raw, addr)
			if err != nil {
				return nil, noRelease, err
			}
			return c, p.releaser(addr, d), nil
		}
		select {
		case <-d.done: // in the map once done: opened, and not expired
			d.users++
			if d.idle != nil {
				d.idle.Stop()
				d.idle = nil
			}
			p.mu.Unlock()
			return d.c, p.releaser(addr, d), nil
		default:
		}
		p.mu.Unlock()
		select {
		case <-d.done:
		case <-ctx.Done():
			why := "no connection to " + addr + " before the context ended (" + ctx.Err().Error() + "); another call is opening it"
			return nil, noRelease, x.Error(ctx, conn.MethodConnect, nil, connx.Read, status.Error(status.FromContextError(ctx.Err()).Code(), why))
		}
	}
}

// releaser returns the function a user of d calls once: the last one
// leaves d idle, and d closes if nobody uses it for idleClose.
func (p *pool) releaser(addr string, d *dial) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if d.users--; d.users > 0 || p.closed || p.conns[addr] != d {
				return
			}
			d.gen++
			gen := d.gen
			d.idle = time.AfterFunc(idleClose, func() { p.expire(addr, d, gen) })
		})
	}
}

// expire closes d if it is still idle since the timer of generation gen
// was set.
func (p *pool) expire(addr string, d *dial, gen uint64) {
	p.mu.Lock()
	if p.closed || p.conns[addr] != d || d.users > 0 || d.idle == nil || d.gen != gen {
		p.mu.Unlock()
		return
	}
	delete(p.conns, addr)
	d.idle = nil
	p.mu.Unlock()
	_ = d.c.Close()
}

func (p *pool) open(ctx context.Context, d *dial, raw, addr string) (*conn.Conn, error) {
	c, err := connx.Dial(ctx, p.parent, raw)
	p.mu.Lock()
	closed := p.closed
	if err != nil || closed {
		if p.conns[addr] == d {
			delete(p.conns, addr)
		}
	}
	if closed && err == nil {
		err = errPoolClosed
	}
	if err != nil {
		d.err = err
	} else {
		d.c = c
	}
	p.mu.Unlock()
	close(d.done)
	if closed && c != nil {
		_ = c.Close()
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes every per-endpoint connection. A connection still being
// opened is closed by its opener, which sees the pool closed.
func (p *pool) Close() error {
	p.mu.Lock()
	p.closed = true
	var open []*conn.Conn
	for _, d := range p.conns {
		select {
		case <-d.done:
			if d.c != nil {
				open = append(open, d.c)
			}
			if d.idle != nil {
				d.idle.Stop()
				d.idle = nil
			}
		default:
		}
	}
	p.conns = nil
	p.mu.Unlock()
	var errs []error
	for _, c := range open {
		if err := c.Close(); err != nil && !errors.Is(err, conn.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pickURL chooses which of a member's client URLs to dial: one that is
// among the connection's endpoints if any (it is known to be reachable),
// else the first.
func pickURL(c *conn.Conn, urls []string) (raw, addr string, ok bool) {
	eps := c.Endpoints()
	first := -1
	for i, u := range urls {
		a, err := endpointAddr(u)
		if err != nil {
			continue
		}
		if slices.Contains(eps, a) {
			return u, a, true
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return "", "", false
	}
	a, _ := endpointAddr(urls[first])
	return urls[first], a, true
}
