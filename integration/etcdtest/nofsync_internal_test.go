package etcdtest

import "testing"

// TestUnsafeNoFsync: the option reaches the server's configuration, and
// only with it given.
func TestUnsafeNoFsync(t *testing.T) {
	for _, on := range []bool{false, true} {
		var opts []Option
		if on {
			opts = append(opts, WithUnsafeNoFsync())
		}
		s := Start(t, opts...)
		s.mu.Lock()
		got := s.embedded.Config().UnsafeNoFsync
		s.mu.Unlock()
		if got != on {
			t.Errorf("WithUnsafeNoFsync given %v: the server's UnsafeNoFsync is %v", on, got)
		}
		s.Close()
	}
}
