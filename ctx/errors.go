package kv

import (
	"errors"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrInvalidRequest is matched (errors.Is) by every error a request builder
// of getcd returns when it compiles an invalid request: the kv, compare and
// op packages ([github.com/getcd/getcd/compare.ErrInvalidRequest] and
// [github.com/getcd/getcd/op.ErrInvalidRequest] are this value) and the
// builders of the packages built on them. Such a request is never sent.
var ErrInvalidRequest = errors.New("getcd: invalid request")

// FieldError is the concrete type of every validation error of getcd's
// request builders. It names the package that found the problem, the kind
// of request, the field at fault and the reason, so a program can tell which
// option to fix:
//
//	var fe *kv.FieldError
//	if errors.As(err, &fe) {
//		log.Printf("fix %s of the %s request: %s", fe.Field, fe.Req, fe.Reason)
//	}
//
// errors.Is(err, ErrInvalidRequest) holds for every FieldError, and so does
// errors.Is(err, e.Err) when Err is set. A field inside a nested request
// carries its position: "success[2].range_end".
//
// The request was not sent, so its gRPC status (status.Code(err)) is
// InvalidArgument, as etcd would have answered.
type FieldError struct {
	Pkg    string // package that compiled the request: "kv", "compare", "op", ...
	Req    string // request kind: "range", "put", "delete", "compact", "compare", "txn", ...
	Field  string // protobuf field or builder option at fault, e.g. "limit", "range_end"
	Reason string // what is wrong, lower case
	// Err, when set, is a more specific sentinel the error also matches,
	// the one the server's refusal of the same request matches: a
	// transaction over etcd's --max-txn-ops matches
	// [github.com/getcd/getcd/op.ErrTooManyOps], which is also
	// [github.com/getcd/getcd/conn.ErrTooManyOps].
	Err error
}

func (e *FieldError) Error() string {
	if e == nil {
		return "kv: <nil>"
	}
	return e.Pkg + ": invalid " + e.Req + " request: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

// Is matches Err, the more specific sentinel, when it is set.
func (e *FieldError) Is(target error) bool {
	return e != nil && e.Err != nil && errors.Is(e.Err, target)
}

// GRPCStatus gives the error the status etcd gives invalid requests,
// InvalidArgument, for code that looks at status.Code(err).
func (e *FieldError) GRPCStatus() *status.Status { return status.New(codes.InvalidArgument, e.Error()) }

func invalid(req, field, reason string) error {
	return &FieldError{Pkg: "kv", Req: req, Field: field, Reason: reason}
}

func negative(v int64) string { return "must not be negative, got " + strconv.FormatInt(v, 10) }
