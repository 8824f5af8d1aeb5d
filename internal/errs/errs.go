// Package errs builds the validation errors of getcd's request builders.
// The error type and sentinel are public in package kv (kv.FieldError,
// kv.ErrInvalidRequest), where users look for them; the compare and op
// packages and the builders of later packages build them here.
package errs

import (
	"strconv"

	kv "github.com/getcd/getcd/ctx"
)

// ErrInvalidRequest is kv.ErrInvalidRequest.
var ErrInvalidRequest = kv.ErrInvalidRequest

// FieldError is kv.FieldError, the public type users match with errors.As.
type FieldError = kv.FieldError

// Field builds a *FieldError.
func Field(pkg, req, field, reason string) error {
	return &FieldError{Pkg: pkg, Req: req, Field: field, Reason: reason}
}

// FieldErr builds a *FieldError that also matches sentinel, the error the
// server's refusal of the same request matches.
func FieldErr(pkg, req, field, reason string, sentinel error) error {
	return &FieldError{Pkg: pkg, Req: req, Field: field, Reason: reason, Err: sentinel}
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
		return &FieldError{Pkg: pkg, Req: req, Field: pos + "." + fe.Field, Reason: fe.Reason, Err: fe.Err}
	}
	return &FieldError{Pkg: pkg, Req: req, Field: pos, Reason: err.Error()}
}
