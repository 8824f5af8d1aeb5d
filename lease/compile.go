package lease

import (
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/errs"
)

// MaxTTL is the longest TTL etcd grants, in seconds (its lease.MaxLeaseTTL).
const MaxTTL = 9_000_000_000

// GrantRequest compiles r into a fresh *pb.LeaseGrantRequest. It needs a
// TTL between 1 and MaxTTL; an ID is optional (0 lets the server choose).
func (r Request) GrantRequest() (*pb.LeaseGrantRequest, error) {
	if err := r.checkGrant("grant", grantOpts); err != nil {
		return nil, err
	}
	return &pb.LeaseGrantRequest{TTL: r.ttl, ID: r.id}, nil
}

// RevokeRequest compiles r into a fresh *pb.LeaseRevokeRequest. It needs
// an ID.
func (r Request) RevokeRequest() (*pb.LeaseRevokeRequest, error) {
	if err := r.checkID("revoke", revokeOpts); err != nil {
		return nil, err
	}
	return &pb.LeaseRevokeRequest{ID: r.id}, nil
}

// TimeToLiveRequest compiles r into a fresh *pb.LeaseTimeToLiveRequest. It
// needs an ID; WithKeys asks for the attached keys.
func (r Request) TimeToLiveRequest() (*pb.LeaseTimeToLiveRequest, error) {
	if err := r.checkID("time_to_live", timeToLive); err != nil {
		return nil, err
	}
	return &pb.LeaseTimeToLiveRequest{ID: r.id, Keys: r.set.has(optKeys)}, nil
}

// LeasesRequest compiles r into a fresh *pb.LeaseLeasesRequest. It takes
// no option but the timeout.
func (r Request) LeasesRequest() (*pb.LeaseLeasesRequest, error) {
	if err := r.check("leases", leasesOpts); err != nil {
		return nil, err
	}
	return &pb.LeaseLeasesRequest{}, nil
}

// KeepAliveRequest compiles r into a fresh *pb.LeaseKeepAliveRequest, as
// KeepAliveOnce sends it. It needs an ID.
func (r Request) KeepAliveRequest() (*pb.LeaseKeepAliveRequest, error) {
	if err := r.checkID("keep_alive_once", onceOpts); err != nil {
		return nil, err
	}
	return &pb.LeaseKeepAliveRequest{ID: r.id}, nil
}

// checkKeepAlive validates a request for the managed KeepAlive: an ID and
// nothing else (its context bounds its life, so it takes no timeout).
func (r Request) checkKeepAlive() error { return r.checkID("keep_alive", keepAliveOpts) }

// checkSession validates a request for NewSession: a TTL (a new lease is
// granted, with the ID if one is given) or an ID alone (an existing lease is
// adopted), and optionally WithRecovery.
func (r Request) checkSession() error {
	const req = "session"
	if !r.set.has(optTTL) && !r.set.has(optID) {
		if err := r.check(req, sessionOpts); err != nil {
			return err
		}
		return errs.Field("lease", req, "ttl", "required: a session grants a lease of this TTL (or give WithID to adopt an existing lease)")
	}
	if r.set.has(optTTL) {
		return r.checkGrant(req, sessionOpts)
	}
	return r.checkID(req, sessionOpts)
}

// check rejects options the call does not use and a negative timeout.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		return errs.Field("lease", req, extra.field(), "not used by a "+req+" request")
	}
	if r.timeout < 0 {
		return errs.Field("lease", req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	return nil
}

func (r Request) checkGrant(req string, allowed option) error {
	if err := r.check(req, allowed); err != nil {
		return err
	}
	switch {
	case !r.set.has(optTTL):
		return errs.Field("lease", req, "ttl", "required: the lease's time to live in seconds")
	case r.ttl <= 0:
		return errs.Field("lease", req, "ttl", "must be positive, got "+strconv.FormatInt(r.ttl, 10))
	case r.ttl > MaxTTL:
		return errs.Field("lease", req, "ttl", "must be at most "+strconv.FormatInt(MaxTTL, 10)+", got "+strconv.FormatInt(r.ttl, 10))
	case r.id < 0:
		return errs.Field("lease", req, "id", "must be positive (etcd hands out positive IDs), or 0 to let the server choose; got "+strconv.FormatInt(r.id, 10))
	}
	return nil
}

func (r Request) checkID(req string, allowed option) error {
	if err := r.check(req, allowed); err != nil {
		return err
	}
	switch {
	case !r.set.has(optID):
		return errs.Field("lease", req, "id", "required: the lease's ID")
	case r.id <= 0:
		return errs.Field("lease", req, "id", "must be positive (etcd hands out positive IDs), got "+strconv.FormatInt(r.id, 10))
	}
	return nil
}
