package lock

import (
	"context"
	"fmt"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/lockpb"
	"github.com/getcd/getcd/internal/rawpb"
	"github.com/getcd/getcd/internal/recipe"
	"github.com/getcd/getcd/internal/unary"
)

// Full gRPC method names of etcd's Lock service.
const (
	MethodLock   = lockpb.MethodLock
	MethodUnlock = lockpb.MethodUnlock
)

// ServerLockResponse is the answer of etcd's Lock service: the key that
// holds the lock, to give to ServerUnlock.
type ServerLockResponse struct {
	Header conn.Header
	Key    []byte
}

// ServerUnlockResponse is the answer of etcd's Unlock.
type ServerUnlockResponse struct {
	Header conn.Header
}

// ServerLock asks etcd's Lock service (v3lockpb.Lock/Lock) to take the lock
// named by r's prefix for a lease (lock.New(name).WithLease(id), or
// WithSession(s) for the session's current lease). The server runs etcd's
// own recipe, so the key is name/<lease in hex> and the lock excludes
// getcd's Lock and clientv3's Mutex on the same name. The call waits until
// the server has the lock or ctx ends; conn.Config.RequestTimeout does not
// apply. Keeping the lease alive is the caller's business: the lock ends
// with it.
//
// ServerLock is a write (the server creates the key). A failure before the
// key exists leaves nothing behind: a lease the server does not have
// (conn.ErrLeaseNotFound), a request that never left the client. Every other
// failure after the request was sent matches conn.ErrUnknownOutcome: the
// server may hold or be waiting for the lock on the lease (etcd tries to
// delete the key of a wait that failed, but does not say whether it
// managed). Release such a lock with ServerUnlock of name/<lease in hex>
// (Request.KeyFor), or by revoking the lease.
func ServerLock(ctx context.Context, c *conn.Conn, r Request) (*ServerLockResponse, error) {
	if err := r.checkServerLock(); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	id := r.lease
	if r.s != nil {
		if id, err = currentLease(ctx, r.s); err != nil {
			return nil, err
		}
	}
	resp := rawpb.NewResponse()
	if err := x.Invoke(ctx, MethodLock, rawpb.Message(lockpb.AppendLockRequest(nil, []byte(r.prefix), id)), resp, connx.Write); err != nil {
		return nil, recipe.Outcome(err)
	}
	return decodeLock(rawpb.Bytes(resp))
}

// decodeLock converts the Lock service's answer. An answer that cannot be
// decoded leaves the lock's fate unknown.
func decodeLock(b []byte) (*ServerLockResponse, error) {
	m, err := lockpb.DecodeLockResponse(b)
	if err != nil {
		return nil, &badResponse{method: MethodLock, err: err, unknown: true}
	}
	return &ServerLockResponse{Header: conn.HeaderOf(m.Header), Key: m.Key}, nil
}

// ServerUnlock asks etcd's Lock service (v3lockpb.Lock/Unlock) to release
// the lock whose key r names (lock.Key(key)). The server deletes the key
// whoever holds it, exactly as a delete would: a key that does not exist is
// no error. ServerUnlock is a write, classified as a delete is (see
// conn's table of outcomes): the server's Unlock is one DeleteRange.
func ServerUnlock(ctx context.Context, c *conn.Conn, r Request) (*ServerUnlockResponse, error) {
	if err := r.checkServerUnlock(); err != nil {
		return nil, err
	}
	resp := rawpb.NewResponse()
	if err := unary.Call(ctx, c, 0, MethodUnlock, connx.Write, rawpb.Message(lockpb.AppendUnlockRequest(nil, []byte(r.key))), resp); err != nil {
		return nil, err
	}
	return decodeUnlock(rawpb.Bytes(resp))
}

// decodeUnlock converts the Unlock answer. The delete was applied (the
// server answered OK); only its header is lost when it cannot be decoded.
func decodeUnlock(b []byte) (*ServerUnlockResponse, error) {
	m, err := lockpb.DecodeUnlockResponse(b)
	if err != nil {
		return nil, &badResponse{method: MethodUnlock, err: err}
	}
	return &ServerUnlockResponse{Header: conn.HeaderOf(m.Header)}, nil
}

// badResponse is the error of an answer that could not be decoded.
type badResponse struct {
	method  string
	err     error
	unknown bool
}

func (e *badResponse) Error() string {
	s := fmt.Sprintf("lock: malformed response to %s: %v", e.method, e.err)
	if e.unknown {
		s += "; the server may hold the lock"
	}
	return s
}

func (e *badResponse) Is(target error) bool {
	return target == ErrBadResponse || (e.unknown && target == conn.ErrUnknownOutcome)
}

func (e *badResponse) Unwrap() error { return e.err }
