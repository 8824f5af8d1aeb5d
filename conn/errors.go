package conn

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// ErrInvalidRequest is matched by every error about a request that was
// rejected before anything was sent. It is the same value as
// [kv.ErrInvalidRequest].
var ErrInvalidRequest = kv.ErrInvalidRequest

// ErrTooManyOps is matched when a transaction holds more conditions or
// operations in one branch than etcd's --max-txn-ops, whether the server
// refused it or [op.Txn] refused to compile it (then the error is a
// *[kv.FieldError] and nothing was sent). It is the same value as
// [op.ErrTooManyOps].
var ErrTooManyOps = op.ErrTooManyOps

// Sentinels for etcd's errors and for the client's own failures. Every error
// a Conn returns for a failed call is an *[Error] that matches (errors.Is)
// one of these, or the context errors, or both.
var (
	ErrCompacted         = errors.New("conn: required revision has been compacted")
	ErrFutureRev         = errors.New("conn: required revision is a future revision")
	ErrNoLeader          = errors.New("conn: no leader")
	ErrLeaderChanged     = errors.New("conn: leader changed")
	ErrNotLeader         = errors.New("conn: not leader")
	ErrRequestTooLarge   = errors.New("conn: request is too large")
	ErrResponseTooLarge  = errors.New("conn: response is larger than MaxCallRecvMsgSize")
	ErrTooManyRequests   = errors.New("conn: too many requests")
	ErrDuplicateKey      = errors.New("conn: duplicate key given in txn request")
	ErrKeyNotFound       = errors.New("conn: key not found")
	ErrEmptyKey          = errors.New("conn: key is not provided")
	ErrValueProvided     = errors.New("conn: value is provided")
	ErrLeaseProvided     = errors.New("conn: lease is provided")
	ErrNoSpace           = errors.New("conn: database space exceeded")
	ErrPermissionDenied  = errors.New("conn: permission denied")
	ErrAuthFailed        = errors.New("conn: authentication failed, invalid user ID or password")
	ErrAuthNotEnabled    = errors.New("conn: authentication is not enabled")
	ErrInvalidAuthToken  = errors.New("conn: invalid auth token")
	ErrAuthOldRevision   = errors.New("conn: revision of auth store is old")
	ErrUserNotFound      = errors.New("conn: user name not found")
	ErrUserAlreadyExist  = errors.New("conn: user name already exists")
	ErrRoleNotFound      = errors.New("conn: role name not found")
	ErrRoleAlreadyExist  = errors.New("conn: role name already exists")
	ErrRoleNotGranted    = errors.New("conn: role is not granted to the user")
	ErrRootUserNotExist  = errors.New("conn: root user does not exist")
	ErrLeaseNotFound     = errors.New("conn: requested lease not found")
	ErrLeaseExist        = errors.New("conn: lease already exists")
	ErrLeaseTTLTooLarge  = errors.New("conn: too large lease TTL")
	ErrMemberNotFound    = errors.New("conn: member not found")
	ErrMemberExist       = errors.New("conn: member ID already exist")
	ErrNotCapable        = errors.New("conn: not capable")
	ErrStopped           = errors.New("conn: server stopped")
	ErrTimeout           = errors.New("conn: request timed out")
	ErrUnhealthy         = errors.New("conn: unhealthy cluster")
	ErrCorrupt           = errors.New("conn: corrupt cluster")
	ErrNotForLearner     = errors.New("conn: rpc not supported for learner")
	ErrProposalDropped   = errors.New("conn: raft proposal dropped")
	ErrUnavailable       = errors.New("conn: endpoint unavailable")
	ErrClosed            = errors.New("conn: connection closed")
	ErrUnknownOutcome    = errors.New("conn: the write may or may not have been applied")
	ErrUnknown           = errors.New("conn: unexpected error")
	ErrWatchCanceled     = errors.New("conn: watch canceled")
	ErrInvalidSortOption = errors.New("conn: invalid sort option")
)

// Sentinels for the errors of etcd's cluster, maintenance and auth
// administration calls.
var (
	ErrPeerURLExist                  = errors.New("conn: peer URLs already exist")
	ErrMemberNotEnoughStarted        = errors.New("conn: re-configuration failed due to not enough started members")
	ErrMemberBadURLs                 = errors.New("conn: given member URLs are invalid")
	ErrMemberNotLearner              = errors.New("conn: can only promote a learner member")
	ErrLearnerNotReady               = errors.New("conn: can only promote a learner member which is in sync with leader")
	ErrTooManyLearners               = errors.New("conn: too many learner members in cluster")
	ErrClusterIDMismatch             = errors.New("conn: cluster ID mismatch")
	ErrBadLeaderTransferee           = errors.New("conn: bad leader transferee")
	ErrRootRoleNotExist              = errors.New("conn: root user does not have root role")
	ErrUserEmpty                     = errors.New("conn: user name is empty")
	ErrRoleEmpty                     = errors.New("conn: role name is empty")
	ErrPermissionNotGiven            = errors.New("conn: permission not given")
	ErrPermissionNotGranted          = errors.New("conn: permission is not granted to the role")
	ErrInvalidAuthMgmt               = errors.New("conn: invalid auth management")
	ErrWrongDowngradeVersionFormat   = errors.New("conn: wrong downgrade target version format")
	ErrInvalidDowngradeTargetVersion = errors.New("conn: invalid downgrade target version")
	ErrClusterVersionUnavailable     = errors.New("conn: cluster version not found during downgrade")
	ErrDowngradeInProcess            = errors.New("conn: cluster has a downgrade job in progress")
	ErrNoInflightDowngrade           = errors.New("conn: no inflight downgrade job")
)

// serverErrors maps etcd's error descriptions to sentinels.
var serverErrors = map[string]error{}

func init() {
	for grpcErr, sentinel := range map[error]error{
		rpctypes.ErrGRPCCompacted:                  ErrCompacted,
		rpctypes.ErrGRPCFutureRev:                  ErrFutureRev,
		rpctypes.ErrGRPCNoLeader:                   ErrNoLeader,
		rpctypes.ErrGRPCLeaderChanged:              ErrLeaderChanged,
		rpctypes.ErrGRPCNotLeader:                  ErrNotLeader,
		rpctypes.ErrGRPCRequestTooLarge:            ErrRequestTooLarge,
		rpctypes.ErrGRPCRequestTooManyRequests:     ErrTooManyRequests,
		rpctypes.ErrGRPCTooManyOps:                 ErrTooManyOps,
		rpctypes.ErrGRPCDuplicateKey:               ErrDuplicateKey,
		rpctypes.ErrGRPCKeyNotFound:                ErrKeyNotFound,
		rpctypes.ErrGRPCEmptyKey:                   ErrEmptyKey,
		rpctypes.ErrGRPCValueProvided:              ErrValueProvided,
		rpctypes.ErrGRPCLeaseProvided:              ErrLeaseProvided,
		rpctypes.ErrGRPCNoSpace:                    ErrNoSpace,
		rpctypes.ErrGRPCPermissionDenied:           ErrPermissionDenied,
		rpctypes.ErrGRPCAuthFailed:                 ErrAuthFailed,
		rpctypes.ErrGRPCAuthNotEnabled:             ErrAuthNotEnabled,
		rpctypes.ErrGRPCInvalidAuthToken:           ErrInvalidAuthToken,
		rpctypes.ErrGRPCAuthOldRevision:            ErrAuthOldRevision,
		rpctypes.ErrGRPCUserNotFound:               ErrUserNotFound,
		rpctypes.ErrGRPCUserAlreadyExist:           ErrUserAlreadyExist,
		rpctypes.ErrGRPCRoleNotFound:               ErrRoleNotFound,
		rpctypes.ErrGRPCRoleAlreadyExist:           ErrRoleAlreadyExist,
		rpctypes.ErrGRPCRoleNotGranted:             ErrRoleNotGranted,
		rpctypes.ErrGRPCRootUserNotExist:           ErrRootUserNotExist,
		rpctypes.ErrGRPCLeaseNotFound:              ErrLeaseNotFound,
		rpctypes.ErrGRPCLeaseExist:                 ErrLeaseExist,
		rpctypes.ErrGRPCLeaseTTLTooLarge:           ErrLeaseTTLTooLarge,
		rpctypes.ErrGRPCMemberNotFound:             ErrMemberNotFound,
		rpctypes.ErrGRPCMemberExist:                ErrMemberExist,
		rpctypes.ErrGRPCNotCapable:                 ErrNotCapable,
		rpctypes.ErrGRPCStopped:                    ErrStopped,
		rpctypes.ErrGRPCTimeout:                    ErrTimeout,
		rpctypes.ErrGRPCTimeoutDueToLeaderFail:     ErrTimeout,
		rpctypes.ErrGRPCTimeoutDueToConnectionLost: ErrTimeout,
		rpctypes.ErrGRPCTimeoutWaitAppliedIndex:    ErrTimeout,
		rpctypes.ErrGRPCUnhealthy:                  ErrUnhealthy,
		rpctypes.ErrGRPCCorrupt:                    ErrCorrupt,
		rpctypes.ErrGRPCNotSupportedForLearner:     ErrNotForLearner,
		rpctypes.ErrGRPCWatchCanceled:              ErrWatchCanceled,
		rpctypes.ErrGRPCInvalidSortOption:          ErrInvalidSortOption,

		rpctypes.ErrGRPCPeerURLExist:                  ErrPeerURLExist,
		rpctypes.ErrGRPCMemberNotEnoughStarted:        ErrMemberNotEnoughStarted,
		rpctypes.ErrGRPCMemberBadURLs:                 ErrMemberBadURLs,
		rpctypes.ErrGRPCMemberNotLearner:              ErrMemberNotLearner,
		rpctypes.ErrGRPCLearnerNotReady:               ErrLearnerNotReady,
		rpctypes.ErrGRPCTooManyLearners:               ErrTooManyLearners,
		rpctypes.ErrGRPCClusterIDMismatch:             ErrClusterIDMismatch,
		rpctypes.ErrGRPCBadLeaderTransferee:           ErrBadLeaderTransferee,
		rpctypes.ErrGRPCRootRoleNotExist:              ErrRootRoleNotExist,
		rpctypes.ErrGRPCUserEmpty:                     ErrUserEmpty,
		rpctypes.ErrGRPCRoleEmpty:                     ErrRoleEmpty,
		rpctypes.ErrGRPCPermissionNotGiven:            ErrPermissionNotGiven,
		rpctypes.ErrGRPCPermissionNotGranted:          ErrPermissionNotGranted,
		rpctypes.ErrGRPCInvalidAuthMgmt:               ErrInvalidAuthMgmt,
		rpctypes.ErrGRPCWrongDowngradeVersionFormat:   ErrWrongDowngradeVersionFormat,
		rpctypes.ErrGRPCInvalidDowngradeTargetVersion: ErrInvalidDowngradeTargetVersion,
		rpctypes.ErrGRPCClusterVersionUnavailable:     ErrClusterVersionUnavailable,
		rpctypes.ErrGRPCDowngradeInProcess:            ErrDowngradeInProcess,
		rpctypes.ErrGRPCNoInflightDowngrade:           ErrNoInflightDowngrade,
	} {
		serverErrors[rpctypes.ErrorDesc(grpcErr)] = sentinel
	}
}

// proposalDropped is the text of raft's ErrProposalDropped (go.etcd.io/raft/v3
// raft.go, the version etcd v3.7.3 builds with). etcd has no gRPC error of
// its own for it: server/etcdserver/api/v3rpc/util.go togRPCError sends it
// with code Unknown and this text.
const proposalDropped = "raft proposal dropped"

// Error is a failed call. Its exported fields are the facts: the RPC, where
// the request went (Endpoint) or, when it never left the client (NotSent),
// the endpoints it could have gone to (Tried), the gRPC status and whether a
// write's fate is unknown. errors.Is matches
//
//   - the sentinel of what happened (ErrCompacted, ErrNoLeader,
//     ErrUnavailable, ...);
//   - context.Canceled or context.DeadlineExceeded when the call's context
//     ended;
//   - ErrUnknownOutcome when Unknown is set.
//
// A request that never left the client because no endpoint was ready matches
// ErrUnavailable as well as the context error that ended the wait.
//
// An Error built from its fields, for example to fake a failure in a test,
// works like one conn returns: errors.Is derives the sentinel from Code and
// Message (etcd's description, such as rpctypes.ErrGRPCCompacted's), and
// the text comes from the fields.
type Error struct {
	Method   string     // full gRPC method, e.g. "/etcdserverpb.KV/Put"; "connect" for New
	Endpoint string     // host:port of the endpoint the request reached; "" if none
	Tried    []string   // when nothing was reached: the endpoints that were tried
	NotSent  bool       // the request never left the client, so a write was not applied
	Code     codes.Code // gRPC status code
	Message  string     // the server's or gRPC's description
	Unknown  bool       // a write whose fate is unknown
	kind     error      // the sentinel, when conn built the error
	ctxErr   error      // context.Canceled or context.DeadlineExceeded, if the context ended
}

// Error describes the call from the fields:
//
//	conn: Put on 127.0.0.1:2379: etcdserver: mvcc: database space exceeded; the write may or may not have been applied
//	conn: Range not sent (tried 10.0.0.1:2379, 10.0.0.2:2379): context deadline exceeded
func (e *Error) Error() string {
	if e == nil {
		return "conn: <nil>"
	}
	var b strings.Builder
	b.WriteString("conn: ")
	if m := methodName(e.Method); m != "" {
		b.WriteString(m)
	} else {
		b.WriteString("call")
	}
	if e.Endpoint != "" {
		b.WriteString(" on ")
		b.WriteString(e.Endpoint)
	}
	if e.NotSent {
		b.WriteString(" not sent")
	}
	if len(e.Tried) > 0 {
		b.WriteString(" (tried ")
		b.WriteString(strings.Join(e.Tried, ", "))
		b.WriteString(")")
	}
	b.WriteString(": ")
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString("gRPC code ")
		b.WriteString(e.Code.String())
	}
	if e.Unknown {
		b.WriteString("; the write may or may not have been applied")
	}
	return b.String()
}

// Is matches the sentinel, the context error and ErrUnknownOutcome.
func (e *Error) Is(target error) bool {
	if e == nil || target == nil {
		return false
	}
	if target == ErrUnknownOutcome {
		return e.Unknown
	}
	kind, ctxErr := e.sentinels()
	return target == kind || target == ctxErr
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	kind, _ := e.sentinels()
	return kind
}

// sentinels returns what the error matches: the one conn recorded, or for an
// Error built from its fields, what Code, Message and NotSent say.
func (e *Error) sentinels() (kind, ctxErr error) {
	if e.kind != nil {
		return e.kind, e.ctxErr
	}
	kind = classify(e.Code, e.Message, 0)
	switch e.Code {
	case codes.Canceled:
		ctxErr = context.Canceled
	case codes.DeadlineExceeded:
		ctxErr = context.DeadlineExceeded
	}
	if e.NotSent && (kind == ErrUnavailable || kind == ctxErr) {
		kind = ErrUnavailable
	}
	return kind, ctxErr
}

// GRPCStatus gives status.FromError and status.Code the call's status. An
// Error without a code (OK, the zero value) reports Unknown, so that a
// failed call never looks successful.
func (e *Error) GRPCStatus() *status.Status {
	if e == nil {
		return status.New(codes.Unknown, e.Error())
	}
	code := e.Code
	if code == codes.OK {
		code = codes.Unknown
	}
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	return status.New(code, msg)
}

func methodName(m string) string {
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		return m[i+1:]
	}
	return m
}

// classify derives the sentinel from a status: etcd's description first, then
// the code. recvLimit is the connection's MaxCallRecvMsgSize, which tells
// gRPC's refusal of a response the client received from the server's refusal
// of a request it received; 0 when unknown.
func classify(code codes.Code, msg string, recvLimit int) error {
	if k, ok := serverErrors[msg]; ok {
		return k
	}
	if code == codes.Unknown && msg == proposalDropped {
		return ErrProposalDropped
	}
	switch code {
	case codes.Unavailable:
		return ErrUnavailable
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Canceled:
		return context.Canceled
	case codes.ResourceExhausted:
		if responseTooLarge(msg, recvLimit) {
			return ErrResponseTooLarge
		}
		// gRPC's send limit, or the server's receive limit.
		return ErrRequestTooLarge
	case codes.PermissionDenied:
		return ErrPermissionDenied
	case codes.Unauthenticated:
		return ErrInvalidAuthToken
	}
	return ErrUnknown
}

// responseTooLarge says whether msg is gRPC's refusal of a received message
// larger than recvLimit. The server refuses an oversized request with the
// same words, but names its own limit.
func responseTooLarge(msg string, recvLimit int) bool {
	if !strings.HasPrefix(msg, "grpc: received message") && !strings.HasPrefix(msg, "grpc: message after decompression") {
		return false
	}
	// "... larger than max (4141 vs. 1024)" or "... larger than max 1024".
	end := strings.TrimRight(msg, ")")
	i := strings.LastIndexByte(end, ' ')
	limit, err := strconv.Atoi(end[i+1:])
	return err == nil && (recvLimit == 0 || limit == recvLimit)
}

// mapError turns a gRPC error from a call that reached an endpoint into an
// *Error. ctx is the caller's context (after the per-request timeout was
// applied); write says whether the request changes state, so that an unknown
// outcome can be flagged.
func mapError(ctx context.Context, method, endpoint string, write bool, recvLimit int, err error) *Error {
	st := statusOf(err)
	e := &Error{Method: method, Endpoint: endpoint, Code: st.Code(), Message: st.Message()}
	e.kind = classify(st.Code(), st.Message(), recvLimit)
	if cerr := ctx.Err(); cerr != nil && (e.kind == context.Canceled || e.kind == context.DeadlineExceeded ||
		e.kind == ErrUnknown || e.kind == ErrUnavailable) {
		e.ctxErr = cerr
		if e.kind != ErrUnavailable {
			e.kind = cerr
		}
	}
	if write {
		e.Unknown = outcomeUnknown(e.Code, e.kind)
		// A follower forwards a learner's promotion to the leader and may
		// then give up waiting for a leader (server/etcdserver/server.go
		// PromoteMember, waitLeader): that ErrNoLeader may follow a
		// promotion the leader proposed.
		if e.kind == ErrNoLeader && method == methodMemberPromote {
			e.Unknown = true
		}
	}
	return e
}

const methodMemberPromote = "/etcdserverpb.Cluster/MemberPromote"

// statusOf returns err's gRPC status. When err wraps a status error, as
// gRPC's "max retries exhausted: failed after N attempts: %w" does after the
// last attempt of a retried read, status.FromError would put the wrapper's
// words in front of the message and hide etcd's description (such as
// "etcdserver: no leader") from the sentinel lookup; statusOf returns the
// wrapped status itself. An error without a status is Unknown.
func statusOf(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	var gs interface{ GRPCStatus() *status.Status }
	if errors.As(err, &gs) {
		if st := gs.GRPCStatus(); st != nil {
			return st
		}
	}
	return status.New(codes.Unknown, err.Error())
}

// notSent builds the error of a call that never reached an endpoint: a write
// was certainly not applied. Waiting for a ready endpoint that never came
// matches ErrUnavailable as well as the context error that ended the wait.
func notSent(ctx context.Context, method string, tried []string, kind error, code codes.Code, msg string) *Error {
	e := &Error{Method: method, Tried: tried, NotSent: true, Code: code, Message: msg, kind: kind}
	if kind == nil {
		e.kind = classify(code, msg, 0)
	}
	if cerr := ctx.Err(); cerr != nil && (e.kind == context.Canceled || e.kind == context.DeadlineExceeded || e.kind == ErrUnavailable) {
		e.ctxErr = cerr
		e.kind = ErrUnavailable
	}
	return e
}

// rejected are the errors with which etcd refuses a write before applying
// it; the table in the package documentation says where etcd raises each.
var rejected = map[error]bool{
	ErrRequestTooLarge: true, ErrTooManyRequests: true, ErrTooManyOps: true, ErrDuplicateKey: true,
	ErrEmptyKey: true, ErrValueProvided: true, ErrLeaseProvided: true, ErrKeyNotFound: true,
	ErrInvalidSortOption: true, ErrNoLeader: true, ErrNotCapable: true, ErrNotForLearner: true,
	ErrInvalidAuthToken: true, ErrAuthOldRevision: true, ErrPermissionDenied: true, ErrAuthFailed: true,
	ErrAuthNotEnabled: true, ErrUserNotFound: true, ErrUserAlreadyExist: true, ErrRoleNotFound: true,
	ErrRoleAlreadyExist: true, ErrRoleNotGranted: true, ErrRootUserNotExist: true,
	ErrCompacted: true, ErrFutureRev: true, ErrLeaseNotFound: true, ErrLeaseExist: true,
	ErrLeaseTTLTooLarge: true, ErrCorrupt: true, ErrUnhealthy: true, ErrNotLeader: true,
	ErrMemberNotFound: true, ErrMemberExist: true,

	// The member's raft refused to take the proposal into any log. etcd
	// v3.7.3 server/etcdserver/v3_server.go processInternalRaftRequestOnce
	// returns the error of s.r.Propose as it is; raft's node.go
	// stepWithWaitOption hands back what raft.Step said about the MsgProp,
	// and raft.go raises ErrProposalDropped only before an entry is
	// appended: stepLeader while a leader transfer is in progress
	// (leadTransferee set), when the leader is no longer in the
	// configuration, or when appendEntry refuses the entries over the
	// uncommitted size limit (before raftLog.append); stepCandidate always
	// (no leader); stepFollower when it knows no leader or does not forward
	// proposals. A follower that forwards the proposal returns nil, so the
	// error never stands for an entry some other member may hold.
	ErrProposalDropped: true,

	ErrPeerURLExist: true, ErrMemberNotEnoughStarted: true, ErrMemberBadURLs: true, ErrMemberNotLearner: true,
	ErrLearnerNotReady: true, ErrTooManyLearners: true, ErrClusterIDMismatch: true, ErrBadLeaderTransferee: true,
	ErrRootRoleNotExist: true, ErrUserEmpty: true, ErrRoleEmpty: true, ErrPermissionNotGiven: true,
	ErrPermissionNotGranted: true, ErrInvalidAuthMgmt: true, ErrWrongDowngradeVersionFormat: true,
	ErrInvalidDowngradeTargetVersion: true, ErrClusterVersionUnavailable: true, ErrDowngradeInProcess: true,
	ErrNoInflightDowngrade: true,
}

// outcomeUnknown says whether a failed write that reached an endpoint may
// have been applied. etcd's refusals before the write is applied (rejected)
// leave it known; an error raised after the proposal (ErrNoSpace, ErrStopped,
// ErrTimeout, ...), a lost answer (ErrResponseTooLarge, a broken connection,
// the caller's deadline) and anything not recognised leave it unknown.
func outcomeUnknown(code codes.Code, kind error) bool {
	if rejected[kind] {
		return false
	}
	if kind != ErrUnknown {
		return true
	}
	// An etcd error conn has no sentinel for: its code says whether it is a
	// refusal of the request.
	switch code {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.PermissionDenied, codes.Unauthenticated,
		codes.NotFound, codes.AlreadyExists, codes.OutOfRange, codes.Unimplemented:
		return false
	}
	return true
}
