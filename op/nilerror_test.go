package op_test

import (
	"errors"
	"testing"

	"github.com/getcd/getcd/op"
)

// A nil *op.OverlapError in an error interface (a typed nil returned as an error) is
// a caller's mistake that must not panic: Error prints, and errors.Is and
// errors.As look through it. Each of them dereferenced the nil pointer.
func TestNilErrors(t *testing.T) {
	for _, err := range []error{(*op.OverlapError)(nil)} {
		if err.Error() == "" {
			t.Errorf("%T: empty Error()", err)
		}
		if errors.Is(err, op.ErrTooManyOps) {
			t.Errorf("%T: a nil one matches %v", err, op.ErrTooManyOps)
		}
	}
}
