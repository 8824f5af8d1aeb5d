package kv

import "github.com/getcd/getcd/internal/errs"

// ErrInvalidRequest is matched (errors.Is) by every error a Request's compile
// methods return. It is the same value as compare.ErrInvalidRequest and
// op.ErrInvalidRequest.
var ErrInvalidRequest = errs.ErrInvalidRequest

// FieldError is the concrete type of a validation error: it names the request
// kind and the field at fault. Use errors.As to inspect it.
type FieldError = errs.FieldError

func invalid(req, field, reason string) error { return errs.Field("kv", req, field, reason) }
