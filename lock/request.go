package lock

import (
	"math/bits"
	"strconv"

	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/lease"
)

// Request is an immutable description of one lock call: the lock's prefix
// (its name), the session whose lease holds it, and the connection name.
// Every With method returns a new Request and never changes its receiver, so
// a base Request may be shared freely, including across goroutines.
//
// One Request type serves every call, as lease.Request does; each call
// checks the options it uses and rejects the others with an error that
// matches kv.ErrInvalidRequest and names the field. Nothing is sent then.
//
//	lock.New("locks/report").WithSession(s)          // Lock, TryLock
//	lock.New("locks/report").WithSession(s).On("main") // the same, by connection name
//	lock.New("locks/report").WithLease(id)           // ServerLock with a lease of your own
//	lock.Key(key)                                    // ServerUnlock
type Request struct {
	conn   string
	prefix string
	key    string
	s      *lease.Session
	lease  int64
	set    option
}

// New returns a request for the lock named prefix. Its holders' keys are
// prefix + "/" + the lease ID in lowercase hexadecimal, exactly as etcd's
// own recipes (clientv3's concurrency.Mutex, the server's Lock service)
// name them, so that getcd and other clients given the same prefix exclude
// each other. A prefix that ends in "/" gets a second one, as in etcd's
// recipe; the prefix must not be empty.
func New(prefix string) Request { return Request{prefix: prefix, set: optPrefix} }

// Key returns a request naming the key a server-side lock returned, for
// ServerUnlock.
func Key(key string) Request { return Request{key: key, set: optKey} }

// On sets the name of the connection the request is meant to run on;
// registry.Call runs it there.
func (r Request) On(name string) Request { r.conn = name; return r }

// WithConn is On.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// WithSession sets the session whose lease holds the lock (Lock, TryLock;
// ServerLock uses its lease too). The lock lives no longer than the
// session's current lease: see the package documentation. The calls run on
// the connection they are given; the session only lends its lease, so it
// may run on another connection to the same cluster.
func (r Request) WithSession(s *lease.Session) Request {
	r.s = s
	r.set |= optSession
	return r
}

// WithLease sets the lease of a server-side lock (ServerLock) instead of a
// session's: keeping it alive is then the caller's business.
func (r Request) WithLease(id int64) Request {
	r.lease = id
	r.set |= optLease
	return r
}

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// Prefix returns the lock's prefix.
func (r Request) Prefix() string { return r.prefix }

// Session returns the session the request carries, or nil.
func (r Request) Session() *lease.Session { return r.s }

// KeyFor returns the key a holder with lease id takes: prefix/<id in hex>.
func (r Request) KeyFor(id int64) string { return keyFor(r.prefix, id) }

func keyFor(prefix string, id int64) string {
	return prefix + "/" + strconv.FormatInt(id, 16)
}

// option is a bit set of the options a Request was given.
type option uint8

const (
	optPrefix option = 1 << iota
	optKey
	optSession
	optLease
)

var optionFields = [...]string{"prefix", "key", "session", "lease"}

// The options each call accepts; a connection name is accepted by all.
const (
	lockOpts         = optPrefix | optSession
	serverLockOpts   = optPrefix | optSession | optLease
	serverUnlockOpts = optKey
)

func (o option) has(b option) bool { return o&b != 0 }

func (o option) field() string {
	if i := bits.TrailingZeros8(uint8(o)); i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}

func invalid(req, field, reason string) error { return errs.Field("lock", req, field, reason) }

// check rejects options the call does not use.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		return invalid(req, extra.field(), "not used by a "+req+" request")
	}
	return nil
}

func (r Request) checkPrefix(req string) error {
	if !r.set.has(optPrefix) || r.prefix == "" {
		return invalid(req, "prefix", "required: the lock's name (lock.New(prefix)); its keys are prefix/<lease in hex>")
	}
	return nil
}

// checkLock validates a request for Lock and TryLock.
func (r Request) checkLock(req string) error {
	if err := r.check(req, lockOpts); err != nil {
		return err
	}
	if err := r.checkPrefix(req); err != nil {
		return err
	}
	if r.s == nil {
		return invalid(req, "session", "required: the lease.Session that holds the lock (WithSession)")
	}
	return nil
}

// checkServerLock validates a request for ServerLock: a prefix and either
// a session or a lease.
func (r Request) checkServerLock() error {
	const req = "server_lock"
	if err := r.check(req, serverLockOpts); err != nil {
		return err
	}
	if err := r.checkPrefix(req); err != nil {
		return err
	}
	switch {
	case r.set.has(optSession) && r.set.has(optLease):
		return invalid(req, "lease", "give a session or a lease, not both")
	case r.set.has(optSession) && r.s == nil:
		return invalid(req, "session", "must not be nil")
	case r.set.has(optLease) && r.lease <= 0:
		return invalid(req, "lease", "must be positive (etcd hands out positive IDs), got "+strconv.FormatInt(r.lease, 10))
	case !r.set.has(optSession) && !r.set.has(optLease):
		return invalid(req, "lease", "required: the lease that holds the lock (WithLease or WithSession)")
	}
	return nil
}

// checkServerUnlock validates a request for ServerUnlock.
func (r Request) checkServerUnlock() error {
	const req = "server_unlock"
	if err := r.check(req, serverUnlockOpts); err != nil {
		return err
	}
	if !r.set.has(optKey) || r.key == "" {
		return invalid(req, "key", "required: the key ServerLock returned (lock.Key(key))")
	}
	return nil
}
