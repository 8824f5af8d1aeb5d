package watch_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/watch"
)

func TestErrorMatching(t *testing.T) {
	for _, tc := range []struct {
		err   *watch.Error
		is    []error
		isNot []error
		text  string
	}{
		{
			err:  &watch.Error{Cause: conn.ErrCompacted, Next: 10, CompactRevision: 40},
			is:   []error{conn.ErrCompacted},
			text: "watch: ended before revision 10: conn: required revision has been compacted (compacted up to revision 40)",
		},
		{
			err:   &watch.Error{Cause: context.DeadlineExceeded, Last: conn.ErrNoLeader},
			is:    []error{context.DeadlineExceeded, conn.ErrNoLeader},
			isNot: []error{context.Canceled},
			text:  "watch: ended: context deadline exceeded; while resuming after: conn: no leader",
		},
		{
			err:  &watch.Error{Cause: conn.ErrWatchCanceled, Reason: "some reason", Next: 3},
			is:   []error{conn.ErrWatchCanceled},
			text: "watch: ended before revision 3: conn: watch canceled: some reason",
		},
		{
			err:  &watch.Error{Cause: watch.ErrClosed, Next: 7},
			is:   []error{watch.ErrClosed},
			text: "watch: ended before revision 7: closed",
		},
	} {
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("Error() = %q, want %q", got, tc.text)
		}
		for _, target := range tc.is {
			if !errors.Is(tc.err, target) {
				t.Errorf("%v does not match %v", tc.err, target)
			}
		}
		for _, target := range tc.isNot {
			if errors.Is(tc.err, target) {
				t.Errorf("%v matches %v", tc.err, target)
			}
		}
	}
}

func TestKindStrings(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		watch.Put: "PUT", watch.Delete: "DELETE", watch.EventType(9): "EventType(9)",
		watch.Initial: "initial", watch.Change: "change", watch.Resync: "resync", watch.UpdateKind(7): "UpdateKind(7)",
	} {
		if got := v.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
