// Package conn is one connection to one etcd cluster, and runs getcd's
// requests on it.
//
// A Conn is built on grpc.NewClient with a resolver that carries every
// endpoint, gRPC's round-robin balancer with client-side health checks, its
// reconnect backoff and its keep-alive. Config's zero values are documented
// defaults; Validate checks a configuration without touching the network.
//
//	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
//	...
//	defer c.Close()
//	resp, err := c.Get(ctx, kv.New().WithKey("config/").WithPrefix())
//
// Results are Go types that keep etcd's response header (revision, raft
// term, member) and the key-values.
//
// Errors. A request the builders reject is never sent (ErrInvalidRequest),
// nor is one larger than MaxCallSendMsgSize (ErrRequestTooLarge, with both
// sizes). Every failed call returns an *Error naming the RPC and the
// endpoint; it matches with errors.Is one of the sentinels (ErrCompacted,
// ErrNoLeader, ErrPermissionDenied, ...), and context.Canceled or
// context.DeadlineExceeded when the caller's context ended.
//
// Retries. Reads (Range and the other calls that change nothing) are retried
// by gRPC's retry policy on an unavailable endpoint, and round robin sends the
// retry to the next endpoint, all within the caller's deadline. Writes are
// replayed only by gRPC's transparent retry, which happens only when the
// request never left the client. A write that fails in a way that leaves its
// fate unknown (the connection broke, or the deadline passed, after it was
// sent) returns an error matching ErrUnknownOutcome, which says it may or may
// not have been applied; it is never retried silently.
//
// Auth. With Username and Password the connection authenticates at New,
// attaches the token to every call, and when the server answers that the
// token is invalid or expired it authenticates again once and resends the
// call (the server rejected it before running it, so this is safe for
// writes too).
package conn
