package kv_test

import (
	"errors"
	"testing"

	kv "github.com/getcd/getcd/ctx"
)

// A nil *kv.FieldError in an error interface (a typed nil returned as an error) is
// a caller's mistake that must not panic: Error prints, and errors.Is and
// errors.As look through it. Each of them dereferenced the nil pointer.
func TestNilErrors(t *testing.T) {
	for _, err := range []error{(*kv.FieldError)(nil)} {
		if err.Error() == "" {
			t.Errorf("%T: empty Error()", err)
		}
		if errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%T: a nil one matches %v", err, errors.ErrUnsupported)
		}
	}
}
