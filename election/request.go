package election

import (
	"time"

	"github.com/getcd/getcd/lease"
)

// Request is an immutable description of one election call: the
// election's name, the session or lease that campaigns, the value to
// proclaim, the leadership to proclaim or resign, and the connection name
// and timeout. The zero value (or New()) is an empty request; every With
// method returns a new Request and never changes its receiver, so a base
// Request may be shared freely, including across goroutines.
//
// One Request type serves every call, as lease.Request does: each call
// checks the options it uses and rejects the others with a *kv.FieldError
// that matches kv.ErrInvalidRequest and names the field. Nothing is sent
// then.
//
//	election.Name("jobs/leader").WithSession(s).WithValue("node-1") // Campaign
//	election.Name("jobs/leader")                                     // Leader, Observe
//	election.Of(l.Key()).WithValue("node-1 at 10.0.0.1")             // Proclaim
//	election.Of(l.Key())                                             // Resign
//	election.Name("jobs/leader").WithLease(id).WithValue("node-1")   // ServerCampaign
type Request struct {
	conn    string
	name    string
	value   string
	session *lease.Session
	lease   int64
	leader  LeaderKey
	timeout time.Duration
	set     option
}

// New returns an empty request.
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it
// is meant to run on; registry.Call runs it there.
func On(conn string) Request { return Request{conn: conn} }

// Name returns a request about the election name: New().WithName(name).
func Name(name string) Request { return New().WithName(name) }

// Of returns a request about the leadership k (for Proclaim and Resign):
// New().WithLeader(k).
func Of(k LeaderKey) Request { return New().WithLeader(k) }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// On is WithConn, for chains that start with Name or Of.
func (r Request) On(name string) Request { r.conn = name; return r }

// WithName sets the election's name. Candidates' keys live under name + "/"
// (etcd's layout); the name must not be empty.
func (r Request) WithName(name string) Request {
	r.name = name
	r.set |= optName
	return r
}

// WithValue sets the value a campaign puts in its key, or the one Proclaim
// announces. Empty is allowed.
func (r Request) WithValue(value string) Request {
	r.value = value
	r.set |= optValue
	return r
}

// WithSession sets the session that campaigns: its lease names the key and
// keeps it alive (Campaign; ServerCampaign takes its current lease).
func (r Request) WithSession(s *lease.Session) Request {
	r.session = s
	r.set |= optSession
	return r
}

// WithLease sets the lease a server-side campaign attaches its key to
// (ServerCampaign). The caller keeps the lease alive.
func (r Request) WithLease(id int64) Request {
	r.lease = id
	r.set |= optLease
	return r
}

// WithLeader sets the leadership that Proclaim, Resign and their
// server-side forms act on.
func (r Request) WithLeader(k LeaderKey) Request {
	r.leader = k
	r.set |= optLeader
	return r
}

// WithTimeout sets a per-request timeout for the unary calls (Proclaim,
// Resign, Leader and the server-side calls but Campaign and Observe). The
// earlier of it and the caller's deadline wins. Zero means the connection's
// default (conn.Config.RequestTimeout); a negative value is invalid.
func (r Request) WithTimeout(d time.Duration) Request {
	r.timeout = d
	r.set |= optTimeout
	return r
}

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// ElectionName returns the election name the request names, or "".
func (r Request) ElectionName() string { return r.name }

// Value returns the value the request carries.
func (r Request) Value() string { return r.value }

// Leader returns the leadership the request names.
func (r Request) Leader() LeaderKey { return r.leader }

// Timeout returns the per-request timeout, or 0 when none is set.
func (r Request) Timeout() time.Duration { return r.timeout }
