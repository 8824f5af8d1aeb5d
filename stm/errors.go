package stm

import (
	"errors"
	"strconv"
	"strings"

	kv "github.com/getcd/getcd/ctx"
)

// ErrInvalidRequest is matched (errors.Is) by every error about a request,
// a key or a lease that was rejected before anything was sent. It is the
// same value as kv.ErrInvalidRequest.
var ErrInvalidRequest = kv.ErrInvalidRequest

// FieldError is the concrete type of a validation error: [kv.FieldError].
type FieldError = kv.FieldError

// ErrConflict is matched by the *ConflictError Run returns when every
// attempt ended in a conflict.
var ErrConflict = errors.New("stm: conflict")

// ErrTxDone is returned by a read through a Tx outside the function Run
// gave it to (after the attempt ended, or a Tx not made by Run).
var ErrTxDone = errors.New("stm: transaction used outside its function")

// ConflictError says that Run gave up: every attempt found that something it
// depended on had changed before it could commit. Nothing was written.
type ConflictError struct {
	Attempts int      // attempts made, all of them conflicts
	Keys     []string // keys the last attempt found changed, sorted; nil when not known
}

func (e *ConflictError) Error() string {
	if e == nil {
		return "stm: <nil>"
	}
	var b strings.Builder
	b.WriteString("stm: conflict: gave up after ")
	b.WriteString(strconv.Itoa(e.Attempts))
	if e.Attempts == 1 {
		b.WriteString(" attempt")
	} else {
		b.WriteString(" attempts")
	}
	if len(e.Keys) > 0 {
		b.WriteString("; last changed keys: ")
		for i, k := range e.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(k))
		}
	}
	return b.String()
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }
