// Package lease is etcd's leases: grant, revoke, time-to-live, list and
// renew them, keep any number of them alive on one shared stream per
// connection, and sessions that tie keys to a live process and can heal
// themselves.
//
// # Calls
//
// Every call is a package function of the shape
//
//	func(ctx context.Context, c *conn.Conn, r lease.Request) (*Result, error)
//
// and takes one immutable Request, built as kv.Request is (lease.TTL(10),
// lease.ID(id).WithKeys(), lease.On("main").WithTTL(5)). Each call checks the
// options it uses; an invalid request (a TTL of 0, a missing or negative ID,
// an option the call does not use) fails with an error that matches
// kv.ErrInvalidRequest and names the field, and nothing is sent.
//
//	g, err := lease.Grant(ctx, c, lease.TTL(10))
//	_, err = c.Put(ctx, kv.New().WithKey("svc/a").WithValue("10.0.0.1").WithLease(g.ID))
//	ttl, err := lease.TimeToLive(ctx, c, lease.ID(g.ID).WithKeys())
//	_, err = lease.Revoke(ctx, c, lease.ID(g.ID))
//
// Results keep etcd's response header (conn.Header). Errors are conn's: a
// *conn.Error naming the RPC and the endpoint, matching conn.ErrLeaseNotFound,
// conn.ErrLeaseExist, conn.ErrNoLeader and the others. Grant and Revoke are
// writes: when one fails after it was sent and its fate is unknown, the
// error matches conn.ErrUnknownOutcome and the call is not retried. An
// unknown lease is an error (conn.ErrLeaseNotFound) for TimeToLive and
// KeepAliveOnce too, where etcd itself answers with a TTL of -1 or 0.
//
// # By connection name
//
// The calls run by connection name through the registry's one generic
// mechanism, registry.Call, which looks up the name the request carries:
//
//	g, err := registry.Call(ctx, lease.Grant, lease.TTL(10).WithConn("main"))
//	h, err := registry.Call(ctx, lease.KeepAlive, lease.ID(g.ID).WithConn("main"))
//
// There are no registry methods for leases. registry.Call is the one
// mechanism every getcd package uses (watch, stm, the admin calls): any
// function of the shape above runs by name, so a new package or call needs
// nothing from the registry, and the registry does not import every package
// that runs on a connection.
//
// # Keep-alive
//
// KeepAlive keeps a lease alive until its context ends, Handle.Stop is
// called, the lease is lost or the connection closes. All leases kept alive
// on one connection share a single bidirectional keep-alive stream, which
// the connection owns: it is opened when the first lease is kept alive,
// closed when the last one stops, and ended by Conn.Close. Each lease is
// renewed a third of its TTL after its last acknowledgement, from the TTL
// the server granted.
//
// There is nothing to drain. A Handle says when it ended (Done) and why
// (Err): a *LostError (ErrLeaseLost, and ErrRevoked or ErrExpired) when the
// server no longer has the lease, the context's error, an error matching
// conn.ErrClosed, or ErrStopped. TTL and LastAck show how it is doing.
//
// The shared stream goes through these states:
//
//   - connecting: the stream is being opened (waiting for a ready endpoint
//     with a leader: the stream requires one, so a member cut off from its
//     cluster ends it and the next one goes elsewhere);
//   - active: renewals go out as they fall due, answers come back and
//     move each lease's next renewal and deadline;
//   - resuming: the stream broke (reconnect, member restart, leader change,
//     no leader); it is opened again after a short backoff (50 ms doubling
//     to 1 s, at once after re-authentication), and every lease is renewed
//     as soon as it is open;
//   - closed: no lease is left, or the connection closed; its goroutines
//     have exited. A later KeepAlive opens a new stream.
//
// Loss is never guessed. When no acknowledgement arrived for longer than a
// lease's TTL, the handle asks the server (time-to-live) before saying
// anything: a lease the server no longer has is reported lost; one it still
// has (for example after a restart of a single-member cluster, which gives
// every lease a fresh TTL) goes on being renewed; while the server cannot be
// asked, nothing is reported and the question is asked again. A lease that
// expired is never renewed as if nothing had happened: the server cannot
// renew it, and the handle reports it lost.
//
// # Sessions
//
// A Session is a lease plus its keep-alive, with keys registered on it (put
// with its lease); Close revokes the lease, deleting the keys. With
// WithRecovery a lost lease is replaced by a new grant and the registered
// keys are written again under it; each loss and recovery shows in Status
// and Changed. That is a service registration that heals itself:
//
//	s, err := lease.NewSession(ctx, c, lease.TTL(5).WithRecovery())
//	_, err = s.Register(ctx, "services/api/10.0.0.1", "10.0.0.1:8080")
//	...
//	defer s.Close()
//
// # Goroutines
//
// Per connection, one goroutine runs the keep-alive stream and one reads it
// while any lease is kept alive, and one confirms leases that went without
// an acknowledgement while there are any; one more runs per session. Stopping
// the last keep-alive, closing a session or closing the connection ends them.
package lease
