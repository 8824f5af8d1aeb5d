package rbac

import (
	"strconv"
	"strings"
	"time"
)

// Request is an immutable description of one auth administration call. The
// zero value (or New()) is an empty request; every With method returns a
// new Request and leaves its receiver alone, so a base request may be
// shared, also across goroutines.
//
// Which options a call uses (every call also accepts WithConn and
// WithTimeout; any other option is an error naming it, and nothing is
// sent):
//
//	Enable, Disable, Status, ListUsers, ListRoles   none
//	AddUser            WithUser, and WithPassword or WithNoPassword
//	GetUser, DeleteUser                             WithUser
//	ChangePassword     WithUser, WithPassword
//	GrantRole, RevokeRole                           WithUser, WithRole
//	AddRole, GetRole, DeleteRole                    WithRole
//	GrantPermission, RevokePermission               WithRole, WithPermission
type Request struct {
	conn     string
	timeout  time.Duration
	user     string
	role     string
	password string
	perm     Permission
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

// WithUser names the user.
func (r Request) WithUser(name string) Request { r.user = name; r.set |= optUser; return r }

// WithRole names the role.
func (r Request) WithRole(name string) Request { r.role = name; r.set |= optRole; return r }

// WithPassword sets the password of a new user, or the new password of a
// user. It travels to etcd, which stores only its hash; use TLS.
func (r Request) WithPassword(password string) Request {
	r.password = password
	r.set |= optPassword
	return r
}

// WithNoPassword adds a user that has no password: it cannot authenticate
// with one, only with a TLS client certificate whose common name is the
// user name.
func (r Request) WithNoPassword() Request { r.set |= optNoPassword; return r }

// WithPermission sets the permission to grant or revoke. Revoking matches
// the key range only; the access is not compared.
func (r Request) WithPermission(p Permission) Request { r.perm = p; r.set |= optPermission; return r }

// String describes the request without its password.
func (r Request) String() string {
	var b strings.Builder
	b.WriteString("rbac.Request{")
	sep := ""
	add := func(k, v string) { b.WriteString(sep + k + ": " + v); sep = ", " }
	if r.conn != "" {
		add("conn", strconv.Quote(r.conn))
	}
	if r.set.has(optUser) {
		add("user", strconv.Quote(r.user))
	}
	if r.set.has(optRole) {
		add("role", strconv.Quote(r.role))
	}
	if r.set.has(optPassword) {
		add("password", "***")
	}
	if r.set.has(optNoPassword) {
		add("no_password", "true")
	}
	if r.set.has(optPermission) {
		add("permission", r.perm.access.String()+" "+strconv.Quote(r.perm.key))
	}
	if r.set.has(optTimeout) {
		add("timeout", r.timeout.String())
	}
	b.WriteString("}")
	return b.String()
}
