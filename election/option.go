package election

import (
	"math/bits"
	"strconv"

	"github.com/getcd/getcd/internal/errs"
)

// option is a bit set of the options a Request was given, so that each
// call rejects the options it does not use.
type option uint8

const (
	optName option = 1 << iota
	optValue
	optSession
	optLease
	optLeader
	optTimeout
)

// optionFields names each option as error messages show it.
var optionFields = [...]string{"name", "value", "session", "lease", "leader", "timeout"}

// The options each call accepts; a connection name is accepted by all.
const (
	campaignOpts       = optName | optValue | optSession
	proclaimOpts       = optLeader | optValue | optTimeout
	resignOpts         = optLeader | optTimeout
	trackOpts          = optLeader | optTimeout
	leaderOpts         = optName | optTimeout
	observeOpts        = optName
	serverCampaignOpts = optName | optValue | optSession | optLease
	serverObserveOpts  = optName
)

func (o option) has(b option) bool { return o&b != 0 }

// field names the lowest option bit of o.
func (o option) field() string {
	if i := bits.TrailingZeros8(uint8(o)); i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}

func invalid(req, field, reason string) error { return errs.Field("election", req, field, reason) }

// check rejects options the call does not use and a negative timeout.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		return invalid(req, extra.field(), "not used by a "+req+" request")
	}
	if r.timeout < 0 {
		return invalid(req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	return nil
}

// checkName validates a request that names an election.
func (r Request) checkName(req string, allowed option) error {
	if err := r.check(req, allowed); err != nil {
		return err
	}
	if r.name == "" {
		return invalid(req, "name", "required: the election's name (its keys live under name + \"/\")")
	}
	return nil
}

// checkCampaign validates Campaign's request: a name and a session.
func (r Request) checkCampaign() error {
	if err := r.checkName("campaign", campaignOpts); err != nil {
		return err
	}
	if r.session == nil {
		return invalid("campaign", "session", "required: the lease.Session that campaigns")
	}
	return nil
}

// checkServerCampaign validates ServerCampaign's request: a name and a
// positive lease, or a session.
func (r Request) checkServerCampaign() error {
	const req = "server_campaign"
	if err := r.checkName(req, serverCampaignOpts); err != nil {
		return err
	}
	switch {
	case r.set.has(optLease) && r.set.has(optSession):
		return invalid(req, "lease", "give a lease or a session, not both")
	case r.set.has(optSession) && r.session == nil:
		return invalid(req, "session", "must not be nil")
	case r.set.has(optSession):
		return nil
	case !r.set.has(optLease):
		return invalid(req, "lease", "required: the lease that keeps the candidate's key (or give WithSession)")
	case r.lease <= 0:
		return invalid(req, "lease", "must be positive (etcd hands out positive IDs), got "+strconv.FormatInt(r.lease, 10))
	}
	return nil
}

// checkLeader validates a request that acts on a leadership.
func (r Request) checkLeader(req string, allowed option) error {
	if err := r.check(req, allowed); err != nil {
		return err
	}
	k := r.leader
	switch {
	case !r.set.has(optLeader):
		return invalid(req, "leader", "required: the leadership's LeaderKey (Leadership.Key, or a server-side campaign's result)")
	case k.Name == "":
		return invalid(req, "leader.name", "required")
	case k.Lease <= 0:
		return invalid(req, "leader.lease", "must be positive, got "+strconv.FormatInt(k.Lease, 10))
	case k.Key != keyOf(k.Name, k.Lease):
		return invalid(req, "leader.key", "must be the name, \"/\" and the lease in lowercase hex ("+
			strconv.Quote(keyOf(k.Name, k.Lease))+"), got "+strconv.Quote(k.Key))
	case k.Rev <= 0:
		return invalid(req, "leader.rev", "must be positive (the key's create revision), got "+strconv.FormatInt(k.Rev, 10))
	}
	return nil
}
