package election_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/op"
)

// A Leadership that Campaign or Track did not make, a zero value or nil,
// holds nothing: Done is closed (a zero one's was nil, blocking forever),
// Err says it is not a leadership (it said nil: held), no method panics (a
// nil one dereferenced itself), and a transaction guarded by it is refused
// before anything is sent.
func TestZeroAndNilLeadership(t *testing.T) {
	ctx := context.Background()
	notLeadership := func(what string, err error) {
		t.Helper()
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) || fe.Pkg != "election" || fe.Field != "leadership" {
			t.Errorf("%s: %v, want an election field error on \"leadership\"", what, err)
		}
	}
	for name, l := range map[string]*election.Leadership{"zero": new(election.Leadership), "nil": nil} {
		select {
		case <-l.Done():
		default:
			t.Errorf("%s: Done is not closed", name)
		}
		notLeadership(name+" Err", l.Err())
		r, err := l.Proclaim(ctx, "v")
		notLeadership(name+" Proclaim", err)
		s, err := l.Resign(ctx)
		notLeadership(name+" Resign", err)
		if r != nil || s != nil || l.Key() != (election.LeaderKey{}) || l.Rev() != 0 || l.Token() != 0 || l.Value() != "" || l.Header() != (conn.Header{}) {
			t.Errorf("%s: Proclaim %v, Resign %v, Key %v, Rev %d, Token %d, Value %q, Header %v", name, r, s, l.Key(), l.Rev(), l.Token(), l.Value(), l.Header())
		}
		if _, err := op.If(l.Guard()).Compile(); !errors.Is(err, kv.ErrInvalidRequest) {
			t.Errorf("%s: a txn guarded by it compiles: %v", name, err)
		}
	}
}
