// Package errs holds the error values shared by getcd's request builders.
// It is internal: users reach these values through the packages that
// re-export them (kv.ErrInvalidRequest, compare.ErrInvalidRequest, ...).
package errs

import (
	"errors"
	"strconv"
)

// ErrInvalidRequest is the sentinel every builder validation error wraps.
var ErrInvalidRequest = errors.New("getcd: invalid request")

// FieldError reports an invalid request built by a getcd builder. It names the
// package that found the problem, the request kind, the offending field and
// why it is wrong. errors.Is(err, ErrInvalidRequest) holds for every FieldError.
type FieldError struct {
	Pkg    string // package that built the request: "kv", "compare", "op"
	Req    string // request kind: "range", "put", "delete", "compact", "compare", "txn"
	Field  string // protobuf field or builder option at fault, e.g. "limit", "range_end"
	Reason string // what is wrong, lower case
}

func (e *FieldError) Error() string {
	return e.Pkg + ": invalid " + e.Req + " request: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidRequest) true.
func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

// Field builds a *FieldError.
func Field(pkg, req, field, reason string) error {
	return &FieldError{Pkg: pkg, Req: req, Field: field, Reason: reason}
}

// Negative is the reason used for a negative integer where etcd wants >= 0.
func Negative(v int64) string {
	return "must not be negative, got " + strconv.FormatInt(v, 10)
}

// At re-homes err under a position inside a larger request, for example
// "success[2]" of a txn: a *FieldError keeps its reason and gains the
// position as a prefix of its field; any other error is wrapped as the
// reason.
func At(pkg, req, pos string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		return &FieldError{Pkg: pkg, Req: req, Field: pos + "." + fe.Field, Reason: fe.Reason}
	}
	return &FieldError{Pkg: pkg, Req: req, Field: pos, Reason: err.Error()}
}
