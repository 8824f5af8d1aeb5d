package lease

import "time"

// Request is an immutable description of one lease call: the TTL and ID of
// a grant, the ID of a revoke, keep-alive or time-to-live, the options of a
// session, and the connection name and timeout. The zero value (or New())
// is an empty request; every With method returns a new Request and never
// changes its receiver, so a base Request may be shared freely, including
// across goroutines.
//
// One Request type serves every call, as kv.Request does for the key-value
// calls: each call checks the options it uses when it compiles the request
// and rejects the others with an error that matches kv.ErrInvalidRequest and
// names the field. Nothing is sent then.
//
//	lease.TTL(10)                       // grant a lease of 10 s
//	lease.ID(id)                        // revoke, keep alive, time-to-live of lease id
//	lease.ID(id).WithKeys()             // time-to-live with the attached keys
//	lease.TTL(5).WithRecovery()         // a session that replaces a lost lease
//	lease.On("main").WithTTL(10)        // the same grant, meant for connection "main"
type Request struct {
	conn    string
	timeout time.Duration
	ttl     int64
	id      int64
	set     option
}

// New returns an empty request.
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it is
// meant to run on; registry.Call runs it there.
func On(conn string) Request { return Request{conn: conn} }

// TTL returns a request for a lease of ttl seconds: New().WithTTL(ttl).
func TTL(ttl int64) Request { return New().WithTTL(ttl) }

// ID returns a request about the lease id: New().WithID(id).
func ID(id int64) Request { return New().WithID(id) }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// WithTTL sets the time to live, in seconds, of a lease to grant (Grant, and
// NewSession). The server may raise a small TTL to its minimum (about
// 1.5 × its election timeout, 2 s by default); results carry the TTL it
// granted.
func (r Request) WithTTL(ttl int64) Request {
	r.ttl = ttl
	r.set |= optTTL
	return r
}

// WithID names the lease: the one to revoke, keep alive or look up, or the
// ID a grant should use instead of one the server chooses.
func (r Request) WithID(id int64) Request {
	r.id = id
	r.set |= optID
	return r
}

// WithKeys asks TimeToLive for the keys attached to the lease.
func (r Request) WithKeys() Request { r.set |= optKeys; return r }

// WithRecovery makes a session replace a lost lease: it grants a new one
// with the same TTL, keeps it alive and writes the registered keys again.
func (r Request) WithRecovery() Request { r.set |= optRecovery; return r }

// WithTimeout sets a per-request timeout for the unary calls and
// KeepAliveOnce. It bounds the call in addition to the caller's context; the
// earlier deadline wins. Zero means the connection's default
// (conn.Config.RequestTimeout); a negative value is invalid.
func (r Request) WithTimeout(d time.Duration) Request {
	r.timeout = d
	r.set |= optTimeout
	return r
}

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// Timeout returns the per-request timeout, or 0 when none is set.
func (r Request) Timeout() time.Duration { return r.timeout }

// LeaseID returns the lease ID the request names, or 0.
func (r Request) LeaseID() int64 { return r.id }

// LeaseTTL returns the TTL the request asks for, in seconds, or 0.
func (r Request) LeaseTTL() int64 { return r.ttl }
