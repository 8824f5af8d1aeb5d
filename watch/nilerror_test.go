package watch_test

import (
	"errors"
	"testing"

	"github.com/getcd/getcd/watch"
)

// A nil *watch.Error in an error interface (a typed nil returned as an error) is
// a caller's mistake that must not panic: Error prints, and errors.Is and
// errors.As look through it. Each of them dereferenced the nil pointer.
func TestNilErrors(t *testing.T) {
	for _, err := range []error{(*watch.Error)(nil)} {
		if err.Error() == "" {
			t.Errorf("%T: empty Error()", err)
		}
		if errors.Is(err, watch.ErrNotStarted) {
			t.Errorf("%T: a nil one matches %v", err, watch.ErrNotStarted)
		}
	}
}

// A zero Error (no Cause) prints and unwraps to no nil error; Error
// dereferenced the nil Cause.
func TestZeroError(t *testing.T) {
	var e watch.Error
	if e.Error() == "" || len(e.Unwrap()) != 0 {
		t.Errorf("zero Error: %q, unwraps to %v", e.Error(), e.Unwrap())
	}
	c := watch.Error{Cause: watch.ErrNotStarted}
	if !errors.Is(&c, watch.ErrNotStarted) || len(c.Unwrap()) != 1 {
		t.Errorf("Cause only: %v unwraps to %v", &c, c.Unwrap())
	}
}
