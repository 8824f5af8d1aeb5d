package bench

import (
	"context"
	"fmt"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3lock/v3lockpb"

	"github.com/getcd/getcd/lease"
	"github.com/getcd/getcd/lock"
)

// lockTTL is the TTL of the workload's sessions and leases: long enough
// that no lease expires during a run, so that keep-alive traffic is
// negligible beside the lock traffic.
const lockTTL = 600

// The lock workload: every goroutine of a cell takes one lock and releases
// it, again and again, so that the goroutines contend for it. Each
// goroutine has a session (a lease) of its own, as holders in different
// processes would, since holders on one session share a key; the sessions
// are made once per goroutine and run, outside the measurement, and end
// when the run's connections close.
func init() {
	Register(Workload{
		Name: "lock",
		Desc: "lock acquire + release under contention, one session (lease) per goroutine: getcd lock.Lock + Unlock, " +
			"official concurrency.Mutex Lock + Unlock, raw: etcd's server-side Lock service (v3lockpb Lock + Unlock, " +
			"the same recipe run inside the server)",
		Concurrency: []int{2, 16},
		Getcd: func(ctx context.Context, e *Env, w int) (Op, error) {
			s, err := lockSessions.getcd(ctx, e, w)
			if err != nil {
				return nil, err
			}
			req := lock.New(e.Key("lock", Getcd)).WithSession(s)
			return func(ctx context.Context) error {
				m, err := lock.Lock(ctx, e.Getcd, req)
				if err != nil {
					return err
				}
				return m.Unlock(ctx)
			}, nil
		},
		Official: func(_ context.Context, e *Env, w int) (Op, error) {
			s, err := lockSessions.official(e, w)
			if err != nil {
				return nil, err
			}
			m := concurrency.NewMutex(s, e.Key("lock", Official))
			return func(ctx context.Context) error {
				if err := m.Lock(ctx); err != nil {
					return err
				}
				return m.Unlock(ctx)
			}, nil
		},
		Raw: func(ctx context.Context, e *Env, w int) (Op, error) {
			id, err := lockSessions.raw(ctx, e, w)
			if err != nil {
				return nil, err
			}
			lc := v3lockpb.NewLockClient(e.rawConn)
			lr := &v3lockpb.LockRequest{Name: []byte(e.Key("lock", Raw)), Lease: id}
			ur := &v3lockpb.UnlockRequest{}
			return func(ctx context.Context) error {
				resp, err := lc.Lock(ctx, lr)
				if err != nil {
					return err
				}
				ur.Key = resp.Key
				_, err = lc.Unlock(ctx, ur)
				return err
			}, nil
		},
	})
}

// lockSessions keeps each run's sessions and leases per goroutine, made on
// first use.
var lockSessions = &sessionPool{}

type sessionPool struct {
	mu        sync.Mutex
	env       *Env
	getcds    map[int]*lease.Session
	officials map[int]*concurrency.Session
	leases    map[int]int64
}

// forEnv resets the pool when a new run (Env) begins; the old run's
// sessions ended with its connections.
func (p *sessionPool) forEnv(e *Env) {
	if p.env != e {
		p.env = e
		p.getcds = map[int]*lease.Session{}
		p.officials = map[int]*concurrency.Session{}
		p.leases = map[int]int64{}
	}
}

func (p *sessionPool) getcd(ctx context.Context, e *Env, w int) (*lease.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forEnv(e)
	if s, ok := p.getcds[w]; ok {
		return s, nil
	}
	// The session lives as long as the connection, not as ctx.
	s, err := lease.NewSession(context.WithoutCancel(ctx), e.Getcd, lease.TTL(lockTTL))
	if err != nil {
		return nil, fmt.Errorf("lock: session: %w", err)
	}
	p.getcds[w] = s
	return s, nil
}

func (p *sessionPool) official(e *Env, w int) (*concurrency.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forEnv(e)
	if s, ok := p.officials[w]; ok {
		return s, nil
	}
	s, err := concurrency.NewSession(e.Official, concurrency.WithTTL(lockTTL))
	if err != nil {
		return nil, fmt.Errorf("lock: official session: %w", err)
	}
	p.officials[w] = s
	return s, nil
}

// raw grants a lease with the raw stubs and does not keep it alive: it
// outlives the run.
func (p *sessionPool) raw(ctx context.Context, e *Env, w int) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forEnv(e)
	if id, ok := p.leases[w]; ok {
		return id, nil
	}
	g, err := pb.NewLeaseClient(e.rawConn).LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: lockTTL})
	if err != nil {
		return 0, fmt.Errorf("lock: raw lease: %w", err)
	}
	p.leases[w] = g.ID
	return g.ID, nil
}
