package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/v3/concurrency"
	epb "go.etcd.io/etcd/server/v3/etcdserver/api/v3election/v3electionpb"

	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/lease"
)

// Elections: leadership hand-overs under contention, and a leader
// proclaiming values.
//
// election-handover: every goroutine of a cell campaigns in one election
// (one per client kind), and as soon as it leads, resigns; an operation is
// one campaign (waiting for the goroutines queued before it) plus one
// resign, so the cell measures hand-overs per second. getcd:
// election.Campaign + Leadership.Resign on a lease.Session per goroutine;
// official: concurrency.Election.Campaign + Resign on a concurrency.Session
// per goroutine; raw: etcd's server-side Election service (Campaign,
// Resign) through its generated gRPC stubs, with a lease per goroutine.
//
// election-proclaim: every goroutine leads an election of its own and
// proclaims a new value per operation (one guarded txn): getcd
// Leadership.Proclaim, official Election.Proclaim, raw the same txn with
// prebuilt messages.
//
// Sessions and leases are made once per goroutine index and client kind
// and kept for the run (the official client's sessions and getcd's end
// when the run closes its connections; the raw leases expire after an
// hour), so that a cell measures the elections, not lease grants.
func init() {
	Register(Workload{
		Name:        "election-handover",
		Desc:        "campaign in one contended election, then resign (a hand-over per op): getcd election.Campaign+Resign, official concurrency.Election, raw: etcd's server-side Election service",
		Concurrency: []int{2, 16},
		Getcd: func(ctx context.Context, e *Env, w int) (Op, error) {
			s, err := getcdSession(ctx, e, w)
			if err != nil {
				return nil, err
			}
			r := election.Name(e.Key("election-handover", Getcd)).WithSession(s).WithValue(strconv.Itoa(w))
			return func(ctx context.Context) error {
				l, err := election.Campaign(ctx, e.Getcd, r)
				if err == nil {
					_, err = l.Resign(ctx)
				}
				return err
			}, nil
		},
		Official: func(ctx context.Context, e *Env, w int) (Op, error) {
			s, err := officialSession(e, w)
			if err != nil {
				return nil, err
			}
			el := concurrency.NewElection(s, e.Key("election-handover", Official))
			v := strconv.Itoa(w)
			return func(ctx context.Context) error {
				err := el.Campaign(ctx, v)
				if err == nil {
					err = el.Resign(ctx)
				}
				return err
			}, nil
		},
		Raw: func(ctx context.Context, e *Env, w int) (Op, error) {
			id, err := rawLease(ctx, e, w)
			if err != nil {
				return nil, err
			}
			ec := epb.NewElectionClient(e.rawConn)
			m := &epb.CampaignRequest{Name: []byte(e.Key("election-handover", Raw)), Lease: id, Value: []byte(strconv.Itoa(w))}
			return func(ctx context.Context) error {
				resp, err := ec.Campaign(ctx, m)
				if err == nil {
					_, err = ec.Resign(ctx, &epb.ResignRequest{Leader: resp.Leader})
				}
				return err
			}, nil
		},
	})
	Register(Workload{
		Name:        "election-proclaim",
		Concurrency: []int{1, 16},
		Desc:        "a leader proclaims a new value (one guarded txn per op), an election per goroutine: getcd Leadership.Proclaim, official Election.Proclaim, raw the same txn prebuilt",
		Getcd: func(ctx context.Context, e *Env, w int) (Op, error) {
			s, err := getcdSession(ctx, e, w)
			if err != nil {
				return nil, err
			}
			// A campaign with the key in place (an earlier cell's) returns
			// at once; the runner deletes the keys after each concurrency
			// level, which ends the earlier cells' handles.
			l, err := election.Campaign(ctx, e.Getcd, election.Name(e.Key("election-proclaim", Getcd, w)).WithSession(s))
			if err != nil {
				return nil, err
			}
			values := proclaimValues()
			i := 0
			return func(ctx context.Context) error {
				i++
				_, err := l.Proclaim(ctx, values[i%len(values)])
				return err
			}, nil
		},
		Official: func(ctx context.Context, e *Env, w int) (Op, error) {
			s, err := officialSession(e, w)
			if err != nil {
				return nil, err
			}
			el := concurrency.NewElection(s, e.Key("election-proclaim", Official, w))
			if err := el.Campaign(ctx, ""); err != nil {
				return nil, err
			}
			values := proclaimValues()
			i := 0
			return func(ctx context.Context) error {
				i++
				return el.Proclaim(ctx, values[i%len(values)])
			}, nil
		},
		Raw: func(ctx context.Context, e *Env, w int) (Op, error) {
			id, err := rawLease(ctx, e, w)
			if err != nil {
				return nil, err
			}
			key := []byte(e.Key("election-proclaim", Raw, w) + "/" + strconv.FormatInt(id, 16))
			put := &pb.PutRequest{Key: key, Lease: id}
			if _, err := e.Raw.Put(ctx, put); err != nil {
				return nil, err
			}
			got, err := e.Raw.Range(ctx, &pb.RangeRequest{Key: key})
			if err != nil || len(got.Kvs) != 1 {
				return nil, fmt.Errorf("raw proclaim: read back the key: %v", err)
			}
			txn := &pb.TxnRequest{
				Compare: []*pb.Compare{{Key: key, Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL,
					TargetUnion: &pb.Compare_CreateRevision{CreateRevision: got.Kvs[0].CreateRevision}}},
				Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: put}}},
			}
			values := proclaimValues()
			i := 0
			return func(ctx context.Context) error {
				i++
				put.Value = []byte(values[i%len(values)])
				tr, err := e.Raw.Txn(ctx, txn)
				if err == nil && !tr.Succeeded {
					err = fmt.Errorf("raw proclaim: not leader")
				}
				return err
			}, nil
		},
	})
}

func proclaimValues() []string { return []string{"value-a", "value-b"} }

// The sessions and leases of the election workloads, one per client kind
// and goroutine index for the whole run.
var electionSessions sync.Map // electionSessionKey -> session or lease

type electionSessionKey struct {
	e      *Env
	client Client
	worker int
}

func getcdSession(ctx context.Context, e *Env, w int) (*lease.Session, error) {
	k := electionSessionKey{e, Getcd, w}
	if s, ok := electionSessions.Load(k); ok {
		return s.(*lease.Session), nil
	}
	// The session lives until the run closes the connection.
	s, err := lease.NewSession(context.WithoutCancel(ctx), e.Getcd, lease.TTL(60))
	if err != nil {
		return nil, err
	}
	electionSessions.Store(k, s)
	return s, nil
}

func officialSession(e *Env, w int) (*concurrency.Session, error) {
	k := electionSessionKey{e, Official, w}
	if s, ok := electionSessions.Load(k); ok {
		return s.(*concurrency.Session), nil
	}
	s, err := concurrency.NewSession(e.Official, concurrency.WithTTL(60))
	if err != nil {
		return nil, err
	}
	electionSessions.Store(k, s)
	return s, nil
}

func rawLease(ctx context.Context, e *Env, w int) (int64, error) {
	k := electionSessionKey{e, Raw, w}
	if id, ok := electionSessions.Load(k); ok {
		return id.(int64), nil
	}
	g, err := pb.NewLeaseClient(e.rawConn).LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 3600})
	if err != nil {
		return 0, err
	}
	electionSessions.Store(k, g.ID)
	return g.ID, nil
}
