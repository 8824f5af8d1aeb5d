package conn_test

import (
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
)

// A nil *conn.Error or *conn.ConfigError in an error interface (a typed nil returned as an error) is
// a caller's mistake that must not panic: Error prints, and errors.Is and
// errors.As look through it. Each of them dereferenced the nil pointer.
func TestNilErrors(t *testing.T) {
	for _, err := range []error{(*conn.Error)(nil), (*conn.ConfigError)(nil)} {
		if err.Error() == "" {
			t.Errorf("%T: empty Error()", err)
		}
		if errors.Is(err, conn.ErrClosed) {
			t.Errorf("%T: a nil one matches %v", err, conn.ErrClosed)
		}
	}
}
