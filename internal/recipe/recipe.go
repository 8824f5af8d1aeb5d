// Package recipe holds what the calls to etcd's server-side recipes, the
// Lock and Election services, share.
package recipe

import (
	"errors"

	"google.golang.org/grpc/codes"

	"github.com/getcd/getcd/conn"
)

// Outcome reclassifies the failure of a call to a server-side recipe that
// creates a key (Lock, Campaign). conn's table classifies single requests,
// and a refusal such as conn.ErrCompacted or conn.ErrNoLeader says that a
// single write was not applied; a recipe runs several (etcd v3.7.3,
// server/etcdserver/api/v3lock/lock.go lockServer.Lock and
// server/etcdserver/api/v3election/election.go electionServer.Campaign: a
// session on the lease, then client/v3/concurrency's Mutex.Lock or
// Election.Campaign: the create transaction, then reads and watches, whose
// errors come back as they are, with the key left in place). Only two
// failures certainly precede the key:
//
//   - conn.ErrLeaseNotFound: raised for the put of the create transaction
//     (server/etcdserver/txn/put.go checkPut, called by txn.go checkTxn
//     before any operation of the transaction runs); the later steps
//     (range, watch, delete) never raise it;
//   - codes.Unimplemented: the member does not serve the service (a gRPC
//     proxy without it), answered before any handler runs.
//
// Everything else that reached the server may have left the key behind,
// queued with the caller's live lease: it becomes an unknown outcome
// (conn.ErrUnknownOutcome), so that the caller cleans up and knows the
// server may have acted. Errors that are not a *conn.Error, requests not
// sent and outcomes unknown already are returned as they are.
func Outcome(err error) error {
	var ce *conn.Error
	if !errors.As(err, &ce) || ce.NotSent || ce.Unknown {
		return err
	}
	if errors.Is(err, conn.ErrLeaseNotFound) || ce.Code == codes.Unimplemented {
		return err
	}
	cp := *ce
	cp.Unknown = true
	return &cp
}
