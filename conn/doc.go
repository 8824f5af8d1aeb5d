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
//	(not sent: NotSent)            not applied  never left the client: no endpoint was ready, too large, or
//	                                            gRPC could not encode it (a string field not UTF-8)
//	ErrInvalidRequest (client)     not applied  refused by the builders before sending
//	ErrEmptyKey, ErrValueProvided, not applied  server/etcdserver/api/v3rpc/key.go checkPutRequest,
//	ErrLeaseProvided,                           checkDeleteRequest, checkTxnRequest, checkIntervals:
//	ErrTooManyOps, ErrDuplicateKey              before the server is called
//	ErrKeyNotFound                 not applied  committed, then refused: server/etcdserver/txn/put.go
//	                                            checkAndGetPrevKV (ignore_value or ignore_lease on a
//	                                            missing key)
//	ErrNoLeader                    not applied  server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor
//	                                            (require-leader metadata), before the handler; UNKNOWN for
//	                                            MemberPromote: server.go PromoteMember forwards it to the
//	                                            leader, then waitLeader may give up
//	ErrNotCapable,                 not applied  server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor
//	ErrNotForLearner
//	ErrTooManyRequests             not applied  server/etcdserver/v3_server.go processInternalRaftRequestOnce,
//	                                            before s.r.Propose
//	ErrProposalDropped             not applied  the same function returns s.r.Propose's error: raft (raft.go
//	("raft proposal dropped",                   stepLeader during a leader transfer or over the uncommitted
//	gRPC code Unknown)                          size limit, stepCandidate, stepFollower without a leader)
//	                                            drops the proposal before any log holds it
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
// A read never has an unknown outcome. A write is sent again only after a
// refusal that certainly came before its proposal (see Retries), so even
// one with an unknown outcome was applied at most once.
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
// One refusal is safe to resend for writes too: ErrNoLeader from a member
// that has lost its leader. For Put, DeleteRange, Txn, Compact, LeaseGrant
// and LeaseRevoke etcd v3.7 raises it only in the require-leader check of
// server/etcdserver/api/v3rpc/interceptor.go newUnaryInterceptor, which
// refuses the call before its handler runs. Such a write, and any read, is
// sent again to another member, once per endpoint at most, while a member
// is left in rotation (see Leader-aware rotation). Other writes refused with
// ErrNoLeader are not resent.
//
// # Leader-aware rotation
//
// A member cut off from the rest of its cluster still accepts connections
// and answers gRPC health checks, but it cannot serve a linearizable read
// or a write: it holds them until etcd's request timeout. getcd sends etcd's
// require-leader metadata ("hasleader": "true") with every call that needs a
// leader, so that such a member refuses it at once with ErrNoLeader:
//
//	calls                                              require-leader
//	-------------------------------------------------  ------------------------------------------
//	KV Range                                           unless serializable (WithSerializable)
//	KV Txn                                             unless it holds serializable ranges only
//	KV Put, DeleteRange, Compact                       yes
//	Lease Grant, Revoke, TimeToLive, Leases            yes (through raft, or served by the leader)
//	Cluster MemberList                                 only when linearizable
//	Cluster MemberAdd, Remove, Update, Promote         yes
//	Auth: every call, Authenticate included            yes (etcd serves them through raft)
//	Maintenance Alarm, Downgrade                       yes (through raft)
//	Maintenance Status, Defragment, Hash, HashKV,      no: a member answers them about itself
//	Snapshot; MoveLeader                               (MoveLeader: the leader alone answers it)
//	streams (watch, lease keep-alive)                  as their packages decide (both require one)
//
// A member that answers ErrNoLeader, or ErrNoSpace or ErrCorrupt (its
// cluster has raised a NOSPACE or CORRUPT alarm), is taken out of the
// balancer's rotation: round robin skips it and calls go to the other
// members. Every ProbeInterval (1s by default) the connection asks each
// member out of rotation for its Status, and puts it back once it reports a
// leader and neither alarm. A member that holds KV calls and has answered
// none for a whole ProbeInterval is probed too, so that a member whose
// callers all wait on it is found without waiting for etcd's timeout; so
// is a member that holds a watch, a lease keep-alive, or a server-side lock
// or campaign, every ProbeInterval unless KV calls end there or it is the
// connection's only endpoint (such calls are silent on a healthy member
// too, and etcd ends the streams of a member without a leader only after
// three election timeouts). That costs one Status call per interval per
// member holding streams on a connection without KV traffic; a longer
// ProbeInterval makes it rarer, DisableRotation turns it off.
//
// Taking a member out keeps new calls away; it does not free those the
// member already holds. When the next probe, a ProbeInterval later, finds it
// still without a leader while another member is in rotation and connected
// (not down: then the cluster lost its quorum and there is nowhere better to
// go), the connection closes its network connections to that member:
// everything it held fails at once with Unavailable. Reads then go to
// another member (the retry policy resends them), writes report
// ErrUnknownOutcome (they may have reached a leader before the cut), and
// watches and lease keep-alives resume on another member. gRPC reconnects to
// the member for the probes. With one member cut off from three, the
// partition test measured: out of rotation 2 s after the cut (etcd's
// election timeout and one probe), the calls it held freed about 1 s later,
// and no call started after detection failed (integration/healthtest
// TestPartitionedFollower; TestPartitionedLeader cuts the leader off). Calls
// a healthy member holds are its own: a write it forwarded to a leader that
// was just cut off waits for etcd's request timeout there.
// Status lists the members out of rotation (EndpointStatus.OutOfRotation,
// OutSince, OutReason), and so does registry.Info. When every member is
// out, calls go to them anyway: the verdicts never make a connection
// unusable. Config.DisableRotation turns the rotation off (the metadata is
// still sent).
//
// # Endpoints
//
// SetEndpoints replaces the endpoints; Sync replaces them with the client
// URLs of the cluster's started voting members, read from the member list
// (linearizably); Config.AutoSyncInterval runs Sync at an interval, in the
// background. Learners are never used, nor members that have not started;
// a member list with no usable member is never applied (ErrNoUsableMember).
// The balancer, Status and registry.Info follow every change, and an
// endpoint that stays keeps its connection, its state and its place in or
// out of rotation.
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
// # Coalescing
//
// etcd spends most of a small request's cost on the request itself, not on
// its keys: a transaction carrying 32 puts costs it little more than one
// put. With [Config.Coalescing] on (it is off by default), a connection
// that has requests of one kind in flight merges the Get, Put and Delete
// calls that arrive meanwhile into one transaction, each call one operation
// of its success branch, and hands each caller its own response. A call
// that finds fewer than MaxInFlight batches of its kind in flight is sent
// alone at once, as without coalescing, so a lone caller pays nothing
// (unless Window asks calls to wait for company).
//
// What a caller sees:
//
//   - Each response carries the header of the transaction that carried it.
//     Writes coalesced together share one revision (a put's ModRevision is
//     that revision); gets coalesced together read the store at one
//     revision. A linearizable history allows this: only calls in flight at
//     the same time are merged, and no caller can tell them from concurrent
//     calls that landed back to back.
//   - Kinds are never mixed: writes (puts and deletes), linearizable gets
//     and serializable gets batch separately, so a get never sees a write
//     of its own batch and a serializable get never makes a linearizable
//     one serializable. Txn calls, and calls with kv.Request.WithNoCoalesce,
//     are always sent alone.
//   - Two writes whose keys or ranges meet never share a batch (etcd refuses
//     a transaction that writes a key twice); the later one waits for the
//     next batch. A batch holds at most MaxOps calls (at most the server's
//     --max-txn-ops) and at most MaxBytes encoded bytes (under its
//     --max-request-bytes); a call larger than that goes alone. When the
//     server refuses a batch as too many operations or too large, later
//     batches stay under half of it (CoalesceStats.MaxOps, MaxBytes).
//     Writes asking for their previous key-values (WithPrevKV) share a batch
//     only as far as their answers, at up to 2 MiB each, fit
//     MaxCallRecvMsgSize: with its default, 1,023 of them.
//   - A batch etcd refuses was not applied at all: etcd checks every
//     operation of a transaction before it writes any (etcd v3.7.3
//     server/etcdserver/txn/txn.go Txn, checkTxn: a missing lease, a
//     missing key under ignore_value, a compacted or future revision), and
//     refusals before that (permission, size, duplicate keys) happen before
//     the proposal. Every call of a refused batch, or of a batch that never
//     left the client, is sent again alone and gets the answer it gets
//     alone, never another's error (CoalesceStats.Resent counts them).
//   - When a batch's outcome is unknown (its answer was lost), its writes
//     fail with [ErrUnknownOutcome], as they would alone, and its gets are
//     sent again alone.
//   - A caller whose context ends while its call waits to be batched gets a
//     NotSent error: the call was never sent. One whose context ends while
//     its batch is in flight stops waiting (a write's outcome is then
//     unknown); the batch's call ends once none of its callers waits, or at
//     the latest of their deadlines.
//   - The batch's call runs under a context of its own: values of the
//     callers' contexts (gRPC metadata set with metadata.NewOutgoingContext,
//     tracing spans) do not reach it, and interceptors see a Txn.
//   - The responses of one batch are views of one answer buffer, which
//     stays in memory while any of them is referenced.
//
// [Conn.CoalesceStats] counts batches, the calls they carried, the calls
// sent alone or resent, and the time calls waited to be batched;
// registry.Stats shows it per named connection. Coalescing needs getcd's
// wire codec: with GeneratedMessages it is off.
//
// # Logging
//
// [Config.Logger] receives endpoint state changes, re-authentications,
// endpoints taken out of and put back in rotation, and endpoint list
// changes.
// conn never calls the logger, or any other user code, while it holds a
// lock, so a handler may call [Conn.Status].
package conn
