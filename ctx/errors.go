package kv

import (
	"errors"
	"strconv"
)

// ErrInvalidRequest is matched (errors.Is) by every error a request builder
// of getcd returns when it compiles an invalid request: the kv, compare and
// op packages (compare.ErrInvalidRequest and op.ErrInvalidRequest are this
// value) and the builders of the packages built on them. Such a request is
// never sent.
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
// errors.Is(err, ErrInvalidRequest) holds for every FieldError. A field inside
// a nested request carries its position: "success[2].range_end".
type FieldError struct {
	Pkg    string // package that compiled the request: "kv", "compare", "op", ...
	Req    string // request kind: "range", "put", "delete", "compact", "compare", "txn", ...
	Field  string // protobuf field or builder option at fault, e.g. "limit", "range_end"
	Reason string // what is wrong, lower case
}

func (e *FieldError) Error() string {
	return e.Pkg + ": invalid " + e.Req + " request: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

func invalid(req, field, reason string) error {
	return &FieldError{Pkg: "kv", Req: req, Field: field, Reason: reason}
}

func negative(v int64) string { return "must not be negative, got " + strconv.FormatInt(v, 10) }
