package op

import (
	"strconv"

	"github.com/getcd/getcd/internal/errs"
)

// OverlapError reports two writes of one transaction that may run together
// and write a common key: two puts of one key, or a put of a key that a
// delete removes (see "Writes that overlap" in the package overview).
//
// It matches ErrInvalidRequest, like every other compile error, and
// errors.As finds it as a *FieldError too: Field is the position of Second
// and Reason names First.
type OverlapError struct {
	// First and Second are the positions of the two operations, First the
	// one etcd would run first, written like FieldError.Field:
	// "success[0]", "success[2].failure[1]".
	First, Second string
	// FirstKind and SecondKind are KindPut or KindDelete; at least one of
	// them is a put.
	FirstKind, SecondKind Kind
	// Key is the key of the put (of both, for two puts): a key both
	// operations write.
	Key string

	field errs.FieldError
}

func (e *OverlapError) Error() string {
	if e == nil {
		return "op: <nil>"
	}
	return e.field.Error()
}

// Unwrap returns the *FieldError that names Second, which in turn matches
// ErrInvalidRequest.
func (e *OverlapError) Unwrap() error {
	if e == nil {
		return nil
	}
	return &e.field
}

// overlapError describes the overlapping writes a (run first) and b.
func (s *writeSet) overlapError(a, b write) error {
	e := &OverlapError{
		First: s.position(a), Second: s.position(b),
		FirstKind: kindOf(a), SecondKind: kindOf(b),
	}
	var reason string
	switch {
	case a.put && b.put:
		e.Key = string(b.key)
		reason = "put of " + strconv.Quote(e.Key) + " writes the key put by " + e.First
	case b.put:
		e.Key = string(b.key)
		reason = "put of " + strconv.Quote(e.Key) + " writes a key deleted by " + e.First + " (" + span(a) + ")"
	default:
		e.Key = string(a.key)
		reason = "delete of " + span(b) + " removes " + strconv.Quote(e.Key) + ", put by " + e.First
	}
	e.field = errs.FieldError{Pkg: "op", Req: "txn", Field: e.Second,
		Reason: reason + "; etcd allows one write of a key in a branch, nested transactions included"}
	return e
}

func kindOf(w write) Kind {
	if w.put {
		return KindPut
	}
	return KindDelete
}

// span describes the keys a delete removes.
func span(d write) string {
	switch {
	case len(d.end) == 0:
		return "key " + strconv.Quote(string(d.key))
	case toEnd(d.end) && string(d.key) == "\x00":
		return "every key"
	case toEnd(d.end):
		return "every key from " + strconv.Quote(string(d.key)) + " on"
	}
	return "keys [" + strconv.Quote(string(d.key)) + ", " + strconv.Quote(string(d.end)) + ")"
}

// position writes where w is, as FieldError.Field does.
func (s *writeSet) position(w write) string {
	return s.path(w.branch) + "[" + strconv.Itoa(int(w.index)) + "]"
}

func (s *writeSet) path(b int32) string {
	br := s.branches[b]
	name := "success"
	if br.failure {
		name = "failure"
	}
	if br.parent < 0 {
		return name
	}
	return s.path(br.parent) + "[" + strconv.Itoa(int(br.index)) + "]." + name
}
