package electiontest

import (
	"strings"
	"testing"

	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/integration/etcdtest"
)

// A loop body that panics out of Observe's iteration, the panic recovered
// by the caller, leaves no watch behind while the connection and the
// context live on: the observer's watch closes as the panic passes through
// it.
func TestObservePanicClosesWatch(t *testing.T) {
	ctx := testCtx(t)
	n := name(t)
	c, _ := open(t, nil)
	s := session(t, c, 30)
	watches := etcdtest.SnapshotGoroutines().Only(func(stack string) bool {
		return strings.Contains(stack, "github.com/getcd/getcd/watch.")
	})
	seq, err := election.Observe(ctx, c, election.Name(n))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	var l *election.Leadership
	func() {
		defer func() {
			if r := recover(); r != "stop" {
				t.Fatalf("recovered %v, want the loop body's panic", r)
			}
		}()
		for li, err := range seq {
			if err != nil {
				t.Fatalf("observe: %v", err)
			}
			seen++
			if !li.Vacant() {
				// The leader, seen through the observer's watch. The
				// leadership's own watch ends with its resignation.
				if _, err := l.Resign(ctx); err != nil {
					t.Fatal(err)
				}
				panic("stop")
			}
			if l, err = election.Campaign(ctx, c, election.Name(n).WithSession(s).WithValue("a")); err != nil {
				t.Fatal(err)
			}
		}
	}()
	if seen != 2 {
		t.Fatalf("%d observations before the panic, want the vacancy and the leader", seen)
	}
	if left := watches.Leaked(); len(left) > 0 {
		t.Fatalf("%d watch goroutines still running after the panic left Observe, the first:\n%s", len(left), left[0])
	}
}
