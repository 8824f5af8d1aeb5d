package election_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/lease"
)

var goodKey = election.LeaderKey{Name: "jobs", Key: "jobs/2a", Rev: 7, Lease: 42}

// call runs one election call and returns its error.
type call func(context.Context, *conn.Conn, election.Request) error

func wrap[O any](f func(context.Context, *conn.Conn, election.Request) (O, error)) call {
	return func(ctx context.Context, c *conn.Conn, r election.Request) error {
		_, err := f(ctx, c, r)
		return err
	}
}

var (
	campaign       = wrap(election.Campaign)
	proclaim       = wrap(election.Proclaim)
	resign         = wrap(election.Resign)
	leader         = wrap(election.Leader)
	observe        = wrap(election.Observe)
	track          = wrap(election.Track)
	serverCampaign = wrap(election.ServerCampaign)
	serverProclaim = wrap(election.ServerProclaim)
	serverResign   = wrap(election.ServerResign)
	serverLeader   = wrap(election.ServerLeader)
	serverObserve  = wrap(election.ServerObserve)
)

// TestInvalid checks that every call refuses an invalid request with a
// *kv.FieldError naming the field, before it touches the connection: the
// connection here is nil, on which any call that got as far as sending
// would fail with conn.ErrClosed instead.
func TestInvalid(t *testing.T) {
	var nilSession *lease.Session
	bad := func(mut func(*election.LeaderKey)) election.LeaderKey {
		k := goodKey
		mut(&k)
		return k
	}
	for _, tc := range []struct {
		name, req, field string
		call             call
		r                election.Request
	}{
		{"campaign without name", "campaign", "name", campaign, election.New().WithSession(nilSession)},
		{"campaign with empty name", "campaign", "name", campaign, election.Name("")},
		{"campaign without session", "campaign", "session", campaign, election.Name("jobs")},
		{"campaign with nil session", "campaign", "session", campaign, election.Name("jobs").WithSession(nil)},
		{"campaign with a lease", "campaign", "lease", campaign, election.Name("jobs").WithLease(5)},
		{"campaign with a timeout", "campaign", "timeout", campaign, election.Name("jobs").WithTimeout(1)},
		{"campaign with a leader", "campaign", "leader", campaign, election.Name("jobs").WithLeader(goodKey)},
		{"proclaim without leader", "proclaim", "leader", proclaim, election.New().WithValue("v")},
		{"proclaim with a name", "proclaim", "name", proclaim, election.Of(goodKey).WithName("x")},
		{"proclaim with empty leader name", "proclaim", "leader.name", proclaim, election.Of(bad(func(k *election.LeaderKey) { k.Name = "" }))},
		{"proclaim with zero rev", "proclaim", "leader.rev", proclaim, election.Of(bad(func(k *election.LeaderKey) { k.Rev = 0 }))},
		{"proclaim with zero lease", "proclaim", "leader.lease", proclaim, election.Of(bad(func(k *election.LeaderKey) { k.Lease = 0 }))},
		{"proclaim with a key off the layout", "proclaim", "leader.key", proclaim, election.Of(bad(func(k *election.LeaderKey) { k.Key = "jobs/2A" }))},
		{"proclaim with another election's key", "proclaim", "leader.key", proclaim, election.Of(bad(func(k *election.LeaderKey) { k.Key = "other/2a" }))},
		{"proclaim with negative timeout", "proclaim", "timeout", proclaim, election.Of(goodKey).WithTimeout(-1)},
		{"resign with a value", "resign", "value", resign, election.Of(goodKey).WithValue("v")},
		{"resign without leader", "resign", "leader", resign, election.New()},
		{"track without leader", "track", "leader", track, election.New().WithTimeout(1)},
		{"track with a value", "track", "value", track, election.Of(goodKey).WithValue("v")},
		{"leader without name", "leader", "name", leader, election.New()},
		{"leader with a session", "leader", "session", leader, election.Name("jobs").WithSession(nil)},
		{"observe with empty name", "observe", "name", observe, election.Name("")},
		{"observe with a timeout", "observe", "timeout", observe, election.Name("jobs").WithTimeout(5)},
		{"server campaign without lease", "server_campaign", "lease", serverCampaign, election.Name("jobs")},
		{"server campaign with negative lease", "server_campaign", "lease", serverCampaign, election.Name("jobs").WithLease(-3)},
		{"server campaign with lease and session", "server_campaign", "lease", serverCampaign, election.Name("jobs").WithLease(3).WithSession(nil)},
		{"server campaign with nil session", "server_campaign", "session", serverCampaign, election.Name("jobs").WithSession(nil)},
		{"server campaign without name", "server_campaign", "name", serverCampaign, election.New().WithLease(3)},
		{"server proclaim without leader", "server_proclaim", "leader", serverProclaim, election.New()},
		{"server resign with zero rev", "server_resign", "leader.rev", serverResign, election.Of(bad(func(k *election.LeaderKey) { k.Rev = 0 }))},
		{"server leader without name", "server_leader", "name", serverLeader, election.New()},
		{"server observe with a value", "server_observe", "value", serverObserve, election.Name("jobs").WithValue("v")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(context.Background(), nil, tc.r)
			if !errors.Is(err, kv.ErrInvalidRequest) {
				t.Fatalf("error %v does not match kv.ErrInvalidRequest", err)
			}
			if errors.Is(err, conn.ErrClosed) {
				t.Fatalf("error %v matches conn.ErrClosed: the connection was used", err)
			}
			var fe *kv.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *kv.FieldError", err)
			}
			if fe.Pkg != "election" || fe.Req != tc.req || fe.Field != tc.field {
				t.Errorf("error %q names %s/%s/%s, want election/%s/%s", err, fe.Pkg, fe.Req, fe.Field, tc.req, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "election: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
		})
	}
}

// TestValidReachesConnection is the control of TestInvalid: a valid
// request does get past validation and fails on the nil connection.
func TestValidReachesConnection(t *testing.T) {
	for name, tc := range map[string]struct {
		call call
		r    election.Request
	}{
		"proclaim":        {proclaim, election.Of(goodKey).WithValue("v")},
		"resign":          {resign, election.Of(goodKey)},
		"leader":          {leader, election.Name("jobs")},
		"observe":         {observe, election.Name("jobs")},
		"track":           {track, election.Of(goodKey)},
		"server campaign": {serverCampaign, election.Name("jobs").WithLease(42)},
		"server proclaim": {serverProclaim, election.Of(goodKey)},
		"server resign":   {serverResign, election.Of(goodKey)},
		"server leader":   {serverLeader, election.Name("jobs")},
		"server observe":  {serverObserve, election.Name("jobs")},
	} {
		err := tc.call(context.Background(), nil, tc.r)
		if !errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s on a nil connection: %v, want an error matching conn.ErrClosed", name, err)
		}
	}
}

// TestImmutable checks that With methods leave their receiver alone.
func TestImmutable(t *testing.T) {
	base := election.Name("jobs").WithValue("a")
	_ = base.WithValue("b").WithName("other").WithConn("main").WithTimeout(5)
	if base.Value() != "a" || base.ElectionName() != "jobs" || base.Conn() != "" || base.Timeout() != 0 {
		t.Errorf("base changed: %+v", base)
	}
	r := election.On("main").WithName("x")
	if r.Conn() != "main" || election.Of(goodKey).On("b").Conn() != "b" || election.Of(goodKey).Leader() != goodKey {
		t.Errorf("conn names or leader not kept")
	}
}
