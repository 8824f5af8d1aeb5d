// Package conn is one connection to one etcd cluster, and runs getcd's
// requests on it.
//
// A [Conn] is built on grpc.NewClient with a resolver that carries every
// endpoint, gRPC's round-robin balancer with client-side health checks, its
// reconnect backoff and its keep-alive. [Config]'s zero values are documented
// defaults; [Config.Validate] checks a configuration without touching the
// network and reports a *[ConfigError] naming the field. Only [New] makes a
// Conn; a zero Conn fails every call with [ErrClosed].
//
//	c, err := conn.New(ctx, conn.Config{Endpoints: []string{"127.0.0.1:2379"}})
//	...
//	defer c.Close()
//	resp, err := c.Get(ctx, kv.New().WithKey("config/").WithPrefix())
//
// Results are Go types that keep etcd's response header (revision, raft
// term, member) and the key-values.
//
// # Errors
//
// A request the builders reject is never sent: its error is a
// *[kv.FieldError] that names the field and matches [ErrInvalidRequest] (and,
// for a transaction over etcd's --max-txn-ops, [ErrTooManyOps], as the
// server's refusal does). A request larger than MaxCallSendMsgSize is not
// sent either ([ErrRequestTooLarge], with both sizes).
//
// Every call that fails after that returns an *[Error]: the RPC, the
// endpoint that answered or, when the request never left the client
// (NotSent), the endpoints tried, and the gRPC status, which status.Code
// reports. It matches with errors.Is one of the sentinels ([ErrCompacted],
// [ErrNoLeader], [ErrPermissionDenied], ...), and context.Canceled or
// context.DeadlineExceeded when the caller's context ended. A request that
// waited for a ready endpoint until its context ended matches
// [ErrUnavailable] and the context error.
//
// # Outcomes of writes
//
// A write that fails is either certainly not applied, or reported as maybe
// applied: its error matches [ErrUnknownOutcome] (Error.Unknown). It is never
// resent silently. Which one depends on where etcd raises the error relative
// to the raft proposal; the table cites etcd v3.7's source, paths relative
// to its repository:
//
//	error                          outcome      where etcd raises it
//	-----------------------------  -----------  ------------------------------------------------------------
//	(not sent: NotSent)            not applied  never left the client: no endpoint was ready, or too large
//	ErrInvalidRequest (client)     not applied  refused by the builders before sending
//	ErrEmptyKey, ErrValueProvided, not applied  server/etcdserver/api/v3rpc/key.go checkPutRequest,
//	ErrLeaseProvided,                           checkDeleteRequest, checkTxnRequest, checkIntervals:
//	ErrTooManyOps, ErrDuplicateKey              before the server is called
//	ErrKeyNotFound                 not applied  committed, then refused: server/etcdserver/txn/put.go
//	                                            checkAndGetPrevKV (ignore_value or ignore_lease on a
//	                                            missing key)
//	ErrNoLeader                    not applied  server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor
//	                                            (require-leader metadata); v3_server.go waitLeader
//	ErrNotCapable,                 not applied  server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor
//	ErrNotForLearner
//	ErrTooManyRequests             not applied  server/etcdserver/v3_server.go processInternalRaftRequestOnce,
//	                                            before s.r.Propose
//	ErrRequestTooLarge             not applied  same function, before s.r.Propose; or gRPC's receive limit
//	                                            on the server, before the handler
//	ErrInvalidAuthToken            not applied  server/auth/store.go AuthInfoFromCtx, called by
//	                                            processInternalRaftRequestOnce before s.r.Propose
//	ErrAuthOldRevision,            not applied  committed, then refused by the applier before it writes:
//	ErrPermissionDenied                         server/etcdserver/apply/auth.go authApplierV3 (Apply,
//	                                            checkPutAuth, checkTxnPermission, ...)
//	ErrCompacted, ErrFutureRev     not applied  committed, then refused: server/etcdserver/txn/txn.go checkTxn
//	                                            (range.go checkRange) before any operation runs
//	ErrLeaseNotFound               not applied  committed, then refused: server/etcdserver/txn/put.go
//	                                            checkPut; the lessor for revokes
//	ErrCorrupt                     not applied  committed, then refused: server/etcdserver/apply/corrupt.go
//	ErrUnhealthy, ErrNotLeader,    not applied  membership changes refused before their proposal
//	ErrMember*                                  (server/etcdserver/server.go mayAddMember, ...)
//	ErrPeerURLExist,               not applied  membership changes: server/etcdserver/api/v3rpc/member.go
//	ErrMemberBadURLs,                           (URLs, before the server is called); server.go
//	ErrLearnerNotReady,                         mayPromoteMember, MoveLeader (before the proposal);
//	ErrMemberNotLearner,                        api/membership/cluster.go ValidateConfigurationChange
//	ErrTooManyLearners,                         (committed, then refused)
//	ErrBadLeaderTransferee, ...
//	ErrRootRoleNotExist,           not applied  committed, then refused by the auth store before it
//	ErrPermissionNotGranted,                    writes: server/auth/store.go (AuthEnable,
//	ErrInvalidAuthMgmt, ...                     RoleRevokePermission, RoleGrantPermission, ...)
//	ErrDowngradeInProcess, the     not applied  server/etcdserver/version/version.go DowngradeValidate,
//	other downgrade errors                      run before DowngradeEnable proposes
//	ErrNoSpace                     UNKNOWN      three places: server/etcdserver/api/v3rpc/quota.go check
//	                                            (before, not applied); apply/capped.go (committed,
//	                                            refused); apply/quota.go quotaApplierV3.Put, Txn,
//	                                            LeaseGrant: the write IS applied, then ErrNoSpace returned
//	ErrStopped                     UNKNOWN      server/etcdserver/v3_server.go processInternalRaftRequestOnce,
//	                                            the wait after s.r.Propose (case <-s.done): the entry may
//	                                            be in the log and applied after a restart
//	ErrTimeout (all four kinds),   UNKNOWN      server/etcdserver/server.go parseProposeCtxErr, called when
//	"request cancelled"                         the wait after s.r.Propose ends
//	ErrLeaderChanged               UNKNOWN      server/etcdserver/read/read.go, for linearizable reads;
//	                                            not expected for writes, so not trusted
//	"raft: stopped" (ErrUnknown)   UNKNOWN      s.r.Propose on a stopped member; conn has no sentinel
//	                                            for it and does not guess
//	ErrResponseTooLarge            UNKNOWN      the client: the answer exceeded MaxCallRecvMsgSize after
//	                                            the server applied the write
//	ErrMalformedResponse           UNKNOWN      the client: the answer to a key-value call could not be
//	                                            decoded (not valid protobuf) after the server ran it
//	ErrUnavailable, ErrClosed,     UNKNOWN      the connection broke, or the caller's context ended,
//	context errors (after send)                 after the request left the client
//	any other error                UNKNOWN      unless its gRPC code is a refusal (InvalidArgument,
//	                                            FailedPrecondition, NotFound, AlreadyExists, ...)
//
// A read never has an unknown outcome. A write is sent at most once (see
// Retries), so even one with an unknown outcome was applied at most once.
//
// # Retries
//
// Reads (Range and the other calls that change nothing) are retried by
// gRPC's retry policy on an unavailable endpoint, and round robin sends the
// retry to the next endpoint, all within the caller's deadline. Writes are
// never in the retry policy, LeaseRevoke and Maintenance/Alarm included:
// they are replayed only by gRPC's transparent retry, which happens only
// when the request never reached the server. [Config.DialOptions] cannot
// replace this service config.
//
// # Auth
//
// With Username and Password the connection authenticates at New, attaches
// the token to every call, and when the server answers that the token is
// invalid or expired it authenticates again and resends the call (the server
// refused it before running it, so this is safe for writes too). One
// re-authentication runs at a time, bounded by DialTimeout; every call that
// needs it waits for it within its own context, so a caller with a short
// deadline is not held up by a slow one.
//
// # Wire codec
//
// Get, Put, Delete and Txn do not go through etcd's generated protobuf
// messages: the request is written into the protobuf wire format straight
// from the builder (a size pass, then one write into one pooled buffer),
// and the answer is copied once out of gRPC's buffers and decoded straight
// into the result, whose keys and values are slices of that one copy. A
// range of 1,000 keys costs a handful of allocations instead of three per
// key. Results are therefore read-only views of the answer (see
// [KeyValue]). The bytes on the wire are the ones etcd's generated code
// writes; unknown fields in answers are skipped; an answer that is not
// valid protobuf fails with [ErrMalformedResponse]. [Config.GeneratedMessages]
// or the environment variable GETCD_CODEC=generated turn the codec off, for
// debugging. Every other call uses the generated messages.
//
// # Logging
//
// [Config.Logger] receives endpoint state changes and re-authentications.
// conn never calls the logger, or any other user code, while it holds a
// lock, so a handler may call [Conn.Status].
package conn
