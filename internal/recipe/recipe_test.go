package recipe_test

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/recipe"
)

// A server-side Lock or Campaign that failed after it was sent may have
// left its key (etcd's recipes return the error of their wait as it is and
// keep the key), so refusals that leave a single write known (a compacted
// watch, no leader) are unknown outcomes for them, and the callers delete
// the key; only a missing lease and a member without the service certainly
// precede the key.
func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      *conn.Error
		sentinel error
		unknown  bool
	}{
		{"compacted wait", &conn.Error{Code: codes.OutOfRange, Message: "etcdserver: mvcc: required revision has been compacted"}, conn.ErrCompacted, true},
		{"no leader", &conn.Error{Code: codes.Unavailable, Message: "etcdserver: no leader"}, conn.ErrNoLeader, true},
		{"lease not found", &conn.Error{Code: codes.NotFound, Message: "etcdserver: requested lease not found"}, conn.ErrLeaseNotFound, false},
		{"unimplemented", &conn.Error{Code: codes.Unimplemented, Message: "unknown service v3electionpb.Election"}, nil, false},
		{"not sent", &conn.Error{Code: codes.Unavailable, Message: "connection refused", NotSent: true}, conn.ErrUnavailable, false},
	} {
		if tc.sentinel != nil && !errors.Is(tc.err, tc.sentinel) {
			t.Fatalf("%s: the test's error %v does not match %v", tc.name, tc.err, tc.sentinel)
		}
		if errors.Is(tc.err, conn.ErrUnknownOutcome) {
			t.Fatalf("%s: the test's error is unknown already", tc.name)
		}
		got := recipe.Outcome(tc.err)
		if errors.Is(got, conn.ErrUnknownOutcome) != tc.unknown {
			t.Errorf("%s: %v matches ErrUnknownOutcome: %v, want %v", tc.name, got, !tc.unknown, tc.unknown)
		}
		if tc.sentinel != nil && !errors.Is(got, tc.sentinel) {
			t.Errorf("%s: %v no longer matches %v", tc.name, got, tc.sentinel)
		}
		if tc.err.Unknown {
			t.Errorf("%s: the original error was changed", tc.name)
		}
	}
	plain := errors.New("not a conn error")
	if got := recipe.Outcome(plain); got != plain {
		t.Errorf("a non-conn error: %v", got)
	}
}
