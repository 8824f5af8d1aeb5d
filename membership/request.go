package membership

import (
	"slices"
	"time"
)

// Request is an immutable description of one membership call. The zero
// value (or New()) is an empty request; every With method returns a new
// Request and leaves its receiver alone, so a base request may be shared,
// also across goroutines.
//
// Which options a call uses:
//
//	List     WithLinearizable
//	Add      WithPeerURLs (required), AsLearner
//	Remove   WithID (required)
//	Update   WithID and WithPeerURLs (both required)
//	Promote  WithID (required)
//
// Every call accepts WithConn and WithTimeout. An option a call does not
// use is an error that names it; nothing is sent.
type Request struct {
	conn     string
	timeout  time.Duration
	id       uint64
	peerURLs []string
	set      option
}

// New returns an empty request.
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it
// is meant to run on, for registry.Call.
func On(conn string) Request { return Request{conn: conn} }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// WithTimeout bounds the call, in addition to the caller's context; the
// earlier deadline wins. Zero means the connection's RequestTimeout, if
// any; a negative value is invalid.
func (r Request) WithTimeout(d time.Duration) Request {
	r.timeout = d
	r.set |= optTimeout
	return r
}

// Timeout returns the request's own timeout, or 0.
func (r Request) Timeout() time.Duration { return r.timeout }

// WithID names the member to remove, update or promote (Member.ID).
func (r Request) WithID(id uint64) Request {
	r.id = id
	r.set |= optID
	return r
}

// WithPeerURLs sets the peer URLs of the member to add, or the new peer
// URLs of the member to update: "http://10.0.0.4:2380". The slice is
// copied.
func (r Request) WithPeerURLs(urls ...string) Request {
	r.peerURLs = slices.Clip(slices.Clone(urls))
	r.set |= optPeerURLs
	return r
}

// AsLearner adds the member as a raft learner: it receives the log but
// does not vote until Promote makes it a voting member.
func (r Request) AsLearner() Request { r.set |= optLearner; return r }

// WithLinearizable makes List go through raft consensus, so that it sees
// every change committed before it; by default the answering member lists
// the members it knows of.
func (r Request) WithLinearizable() Request { r.set |= optLinearizable; return r }
