package watch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getcd/getcd/watch"
)

// A Watcher or Mirror that Open or OpenMirror did not make, a zero value or
// nil, is a caller's mistake: every method returns at once (none panics,
// none blocks), its final error is an *Error matching ErrNotStarted, and
// Done is closed.
func TestZeroValues(t *testing.T) {
	ctx := context.Background()
	for name, w := range map[string]*watch.Watcher{"zero": new(watch.Watcher), "nil": nil} {
		done(t, name+" Watcher", func() {
			if _, err := w.Next(ctx); !notStarted(err) {
				t.Errorf("%s Watcher: Next %v", name, err)
			}
			for _, err := range w.Responses() {
				if !notStarted(err) {
					t.Errorf("%s Watcher: Responses %v", name, err)
				}
			}
			for _, err := range w.Events() {
				if !notStarted(err) {
					t.Errorf("%s Watcher: Events %v", name, err)
				}
			}
			if err := w.Err(); !notStarted(err) {
				t.Errorf("%s Watcher: Err %v", name, err)
			}
			if err := w.RequestProgress(ctx); !notStarted(err) {
				t.Errorf("%s Watcher: RequestProgress %v", name, err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("%s Watcher: Close %v", name, err)
			}
			<-w.Done()
		})
	}
	for name, m := range map[string]*watch.Mirror{"zero": new(watch.Mirror), "nil": nil} {
		done(t, name+" Mirror", func() {
			if _, ok := m.Get("k"); ok {
				t.Errorf("%s Mirror: Get found a key", name)
			}
			if kvs, rev := m.List(); kvs != nil || rev != 0 || m.Len() != 0 || m.Revision() != 0 {
				t.Errorf("%s Mirror: List %v at %d, Len %d, Revision %d", name, kvs, rev, m.Len(), m.Revision())
			}
			for _, err := range m.Changes() {
				if !notStarted(err) {
					t.Errorf("%s Mirror: Changes %v", name, err)
				}
			}
			if err := m.Err(); !notStarted(err) {
				t.Errorf("%s Mirror: Err %v", name, err)
			}
			if err := m.Close(); err != nil {
				t.Errorf("%s Mirror: Close %v", name, err)
			}
			<-m.Done()
		})
	}
}

func notStarted(err error) bool {
	var we *watch.Error
	return errors.As(err, &we) && errors.Is(err, watch.ErrNotStarted)
}

// done runs f and fails if it does not return within a minute (a hang).
func done(t *testing.T, what string, f func()) {
	t.Helper()
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		f()
	}()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("%s: still blocked after a minute", what)
	}
}
