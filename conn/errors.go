package conn

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kv "github.com/getcd/getcd/ctx"
)

// ErrInvalidRequest is matched by every error about a request that was
// rejected before anything was sent. It is the same value as
// kv.ErrInvalidRequest.
var ErrInvalidRequest = kv.ErrInvalidRequest

// Sentinels for etcd's errors. Every error a Conn returns for a failed
// call is an *Error that matches (errors.Is) one of these, or the context
// errors, or both.
var (
	ErrCompacted         = errors.New("conn: required revision has been compacted")
	ErrFutureRev         = errors.New("conn: required revision is a future revision")
	ErrNoLeader          = errors.New("conn: no leader")
	ErrLeaderChanged     = errors.New("conn: leader changed")
	ErrNotLeader         = errors.New("conn: not leader")
	ErrRequestTooLarge   = errors.New("conn: request is too large")
	ErrTooManyRequests   = errors.New("conn: too many requests")
	ErrTooManyOps        = errors.New("conn: too many operations in txn request")
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
	ErrUnavailable       = errors.New("conn: endpoint unavailable")
	ErrClosed            = errors.New("conn: connection closed")
	ErrUnknownOutcome    = errors.New("conn: the write may or may not have been applied")
	ErrUnknown           = errors.New("conn: unexpected error")
	ErrWatchCanceled     = errors.New("conn: watch canceled")
	ErrInvalidSortOption = errors.New("conn: invalid sort option")
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
	} {
		serverErrors[rpctypes.ErrorDesc(grpcErr)] = sentinel
	}
}

// Error is a failed call. It names the RPC and the endpoint that answered
// (or the endpoints tried), keeps the gRPC status, and matches with errors.Is
// its sentinel (ErrCompacted, ErrNoLeader, ...), context.Canceled or
// context.DeadlineExceeded where the caller's context ended, and
// ErrUnknownOutcome when a write may or may not have been applied.
type Error struct {
	Method   string     // full gRPC method, e.g. "/etcdserverpb.KV/Put"
	Endpoint string     // the endpoint that answered, or the list tried
	Code     codes.Code // gRPC status code
	Message  string     // the server's or gRPC's description
	Unknown  bool       // a write whose fate is unknown
	kind     error      // the sentinel
	ctxErr   error      // context.Canceled or context.DeadlineExceeded, if the context ended
}

func (e *Error) Error() string {
	var b strings.Builder
	if !strings.HasPrefix(e.kind.Error(), "conn: ") {
		b.WriteString("conn: ") // context errors
	}
	b.WriteString(e.kind.Error())
	if e.Message != "" && !strings.HasSuffix(e.kind.Error(), strings.TrimPrefix(e.Message, "etcdserver: ")) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	b.WriteString(" (")
	b.WriteString(methodName(e.Method))
	b.WriteString(" on ")
	b.WriteString(e.Endpoint)
	b.WriteString(")")
	if e.Unknown {
		b.WriteString("; the write may or may not have been applied")
	}
	return b.String()
}

// Is matches the sentinel, the context error and ErrUnknownOutcome.
func (e *Error) Is(target error) bool {
	switch {
	case target == e.kind:
		return true
	case e.ctxErr != nil && target == e.ctxErr:
		return true
	case e.Unknown && target == ErrUnknownOutcome:
		return true
	}
	return false
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.kind }

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

func methodName(m string) string {
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		return m[i+1:]
	}
	return m
}

// mapError turns a gRPC error into an *Error. ctx is the caller's context
// (after our per-request timeout was applied); write says whether the
// request changes state, so that an unknown outcome can be flagged.
func mapError(ctx context.Context, method, endpoint string, write bool, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.New(codes.Unknown, err.Error())
	}
	e := &Error{Method: method, Endpoint: endpoint, Code: st.Code(), Message: st.Message()}
	if k, ok := serverErrors[st.Message()]; ok {
		e.kind = k
	}
	if cerr := ctx.Err(); cerr != nil && (st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded || e.kind == nil) {
		e.ctxErr = cerr
		if e.kind == nil {
			e.kind = cerr
		}
	}
	if e.kind == nil {
		switch st.Code() {
		case codes.Unavailable:
			e.kind = ErrUnavailable
		case codes.DeadlineExceeded:
			e.kind = context.DeadlineExceeded
		case codes.Canceled:
			e.kind = context.Canceled
		case codes.ResourceExhausted:
			// gRPC's own client-side or server-side message size limit.
			e.kind = ErrRequestTooLarge
		case codes.PermissionDenied:
			e.kind = ErrPermissionDenied
		case codes.Unauthenticated:
			e.kind = ErrInvalidAuthToken
		default:
			e.kind = ErrUnknown
		}
	}
	if write {
		e.Unknown = outcomeUnknown(st.Code(), e.kind)
	}
	return e
}

// outcomeUnknown says whether a failed write may have been applied: etcd's
// definite rejections (bad argument, precondition, permission, auth, not
// found, too large) were certainly not applied; a broken connection, a
// timeout or a cancellation after the request left may have been.
func outcomeUnknown(code codes.Code, kind error) bool {
	switch kind {
	case ErrNoLeader, ErrNotCapable, ErrStopped, ErrUnhealthy, ErrTooManyRequests, ErrNoSpace, ErrRequestTooLarge:
		// Rejected before the proposal was made.
		return false
	}
	switch code {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.PermissionDenied, codes.Unauthenticated,
		codes.NotFound, codes.AlreadyExists, codes.OutOfRange, codes.ResourceExhausted, codes.Unimplemented:
		return false
	}
	return true
}
