package rbac

import (
	"strconv"

	"go.etcd.io/etcd/api/v3/authpb"

	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/keys"
	"github.com/getcd/getcd/internal/wire"
)

// Access is what a permission allows on its keys.
type Access int8

// Access kinds. The zero Access is none, and invalid in a permission.
const (
	Read      Access = iota + 1 // get and watch
	Write                       // put, delete and writes in transactions
	ReadWrite                   // both
)

func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	case ReadWrite:
		return "readwrite"
	}
	return "Access(" + strconv.Itoa(int(a)) + ")"
}

func (a Access) valid() bool { return a >= Read && a <= ReadWrite }

func (a Access) pb() authpb.Permission_Type {
	switch a {
	case Write:
		return authpb.WRITE
	case ReadWrite:
		return authpb.READWRITE
	}
	return authpb.READ
}

func accessOf(t authpb.Permission_Type) Access {
	switch t {
	case authpb.WRITE:
		return Write
	case authpb.READWRITE:
		return ReadWrite
	case authpb.READ:
		return Read
	}
	return 0
}

// WithKey starts a permission with this access on one key; add WithPrefix,
// WithFromKey or WithRangeEnd to cover more, as with a kv range:
//
//	rbac.Read.WithKey("app/").WithPrefix()
func (a Access) WithKey(key string) Permission { return Permission{access: a}.WithKey(key) }

// WithAll is a permission with this access on every key.
func (a Access) WithAll() Permission { return Permission{access: a}.WithAll() }

// Permission is an immutable description of a permission on a key or a
// range of keys, built like a kv range: a key and at most one of
// WithPrefix, WithFromKey, WithRangeEnd, or WithAll alone. The order of the
// options does not matter; the range is worked out when the request is
// compiled, and an impossible one is an error naming the field.
type Permission struct {
	access Access
	key    string
	end    string
	set    permOption
}

type permOption uint8

const (
	permKey permOption = 1 << iota
	permPrefix
	permFromKey
	permRangeEnd
	permAll
)

const permSpans = permPrefix | permFromKey | permRangeEnd | permAll

// WithAccess sets what the permission allows.
func (p Permission) WithAccess(a Access) Permission { p.access = a; return p }

// WithKey sets the key, or the first key of the range, or the prefix.
func (p Permission) WithKey(key string) Permission { p.key = key; p.set |= permKey; return p }

// WithPrefix covers every key that starts with the key; with an empty key,
// every key.
func (p Permission) WithPrefix() Permission { p.set |= permPrefix; return p }

// WithFromKey covers every key from the key on.
func (p Permission) WithFromKey() Permission { p.set |= permFromKey; return p }

// WithRangeEnd covers [key, end).
func (p Permission) WithRangeEnd(end string) Permission { p.end = end; p.set |= permRangeEnd; return p }

// WithAll covers every key; it takes no key.
func (p Permission) WithAll() Permission { p.set |= permAll; return p }

// Access returns what the permission allows.
func (p Permission) Access() Access { return p.access }

// Resolve returns the permission as etcd will store it: the access, the
// key and the range end (empty for a single key, "\x00" for "to the end of
// the key space"). Every key (WithAll, or the empty prefix) is "\x00"
// onwards, the form etcd wants, since it refuses an empty key.
func (p Permission) Resolve() (KeyPermission, error) {
	m, err := p.compile("permission")
	if err != nil {
		return KeyPermission{}, err
	}
	return keyPermissionOf(m), nil
}

// compile validates p and builds a fresh *authpb.Permission. Errors name the
// field as "permission.<field>" in a request of kind req.
func (p Permission) compile(req string) (*authpb.Permission, error) {
	bad := func(field, reason string) error {
		return errs.At("rbac", req, "permission", errs.Field("rbac", req, field, reason))
	}
	if !p.access.valid() {
		return nil, bad("perm_type", "access must be Read, Write or ReadWrite, got "+p.access.String())
	}
	spans := p.set & permSpans
	if spans&(spans-1) != 0 {
		return nil, bad("range_end", "only one of WithPrefix, WithFromKey, WithRangeEnd and WithAll may be used")
	}
	span := keys.Single
	switch spans {
	case permAll:
		if p.key != "" {
			return nil, bad("key", "WithAll takes no key; use WithPrefix or WithFromKey to start at a key")
		}
		span = keys.Prefix
	case permPrefix:
		span = keys.Prefix
	case permFromKey:
		span = keys.FromKey
	case permRangeEnd:
		span = keys.Range
	}
	key, end, field, reason := keys.Resolve(span, p.key, p.end, wire.Copy)
	if field != "" {
		return nil, bad(field, reason)
	}
	return &authpb.Permission{PermType: p.access.pb(), Key: key, RangeEnd: end}, nil
}

// KeyPermission is a permission as etcd stores it, as GetRole returns it.
// A RangeEnd of "\x00" means every key from Key on; an empty one means Key
// alone.
type KeyPermission struct {
	Access   Access
	Key      []byte
	RangeEnd []byte
}

// Permission returns a builder for the same keys and access, for
// RevokePermission or to grant the same range to another role. The root
// role's permission, which etcd lists as the empty key to "\x00", is every
// key (WithAll).
func (k KeyPermission) Permission() Permission {
	if len(k.Key) == 0 && string(k.RangeEnd) == "\x00" {
		return k.Access.WithAll()
	}
	p := k.Access.WithKey(string(k.Key))
	if len(k.RangeEnd) > 0 {
		p = p.WithRangeEnd(string(k.RangeEnd))
	}
	return p
}

// keyPermissionOf is the one place permission keys come back through.
func keyPermissionOf(p *authpb.Permission) KeyPermission {
	return KeyPermission{Access: accessOf(p.PermType), Key: p.Key, RangeEnd: p.RangeEnd}
}
