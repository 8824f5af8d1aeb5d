package conn

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/roundrobin"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
)

// State is the state of one endpoint of a connection.
type State int

// Endpoint states.
const (
	// StateIdle: no connection and none wanted yet.
	StateIdle State = iota
	// StateConnecting: the first connection attempt is under way.
	StateConnecting
	// StateActive: the transport is connected. Calls are sent here once
	// the member's gRPC health check reports it serving, which follows
	// within a round trip on a healthy member.
	StateActive
	// StateReconnecting: an attempt is under way after a failure, or gRPC
	// is waiting for NextRetry to try again.
	StateReconnecting
	// StateFailed: the last attempt failed with LastError; gRPC will try
	// again at about NextRetry.
	StateFailed
	// StateClosed: the connection was closed.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateConnecting:
		return "connecting"
	case StateActive:
		return "active"
	case StateReconnecting:
		return "reconnecting"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// EndpointStatus describes one endpoint of a connection.
type EndpointStatus struct {
	Endpoint  string    // host:port
	State     State     // see State
	Since     time.Time // when State was entered
	Failures  int       // consecutive failed attempts
	LastError error     // the last connection error, if any
	// NextRetry is when gRPC's backoff lets the next attempt start, worked
	// out from the configured backoff (gRPC adds up to 20% jitter either
	// way). Zero when no retry is pending.
	NextRetry time.Time
}

// tracker records the connectivity of each endpoint as gRPC reports it to
// the balancer.
type tracker struct {
	mu      sync.Mutex
	eps     map[string]*EndpointStatus
	order   []string
	closed  bool
	base    time.Duration
	max     time.Duration
	logger  *slog.Logger
	onReady chan struct{} // closed at the first READY
}

func newTracker(eps []endpoint, base, max time.Duration, logger *slog.Logger) *tracker {
	t := &tracker{eps: make(map[string]*EndpointStatus, len(eps)), base: base, max: max, logger: logger, onReady: make(chan struct{})}
	now := time.Now()
	for _, ep := range eps {
		t.eps[ep.addr] = &EndpointStatus{Endpoint: ep.addr, State: StateIdle, Since: now}
		t.order = append(t.order, ep.addr)
	}
	return t
}

// retryDelay mirrors gRPC's exponential backoff (multiplier 1.6) without
// the jitter.
func (t *tracker) retryDelay(failures int) time.Duration {
	d := float64(t.base) * math.Pow(1.6, float64(failures-1))
	if d > float64(t.max) {
		return t.max
	}
	return time.Duration(d)
}

func (t *tracker) update(addr string, s balancer.SubConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	st, ok := t.eps[addr]
	if !ok {
		st = &EndpointStatus{Endpoint: addr}
		t.eps[addr] = st
		t.order = append(t.order, addr)
	}
	prev := st.State
	now := time.Now()
	switch s.ConnectivityState {
	case connectivity.Ready:
		st.State, st.Failures, st.LastError, st.NextRetry = StateActive, 0, nil, time.Time{}
		select {
		case <-t.onReady:
		default:
			close(t.onReady)
		}
	case connectivity.Connecting:
		st.NextRetry = time.Time{}
		if st.Failures > 0 {
			st.State = StateReconnecting
		} else {
			st.State = StateConnecting
		}
	case connectivity.TransientFailure:
		st.Failures++
		st.LastError = s.ConnectionError
		st.NextRetry = now.Add(t.retryDelay(st.Failures))
		st.State = StateFailed
	case connectivity.Idle:
		if st.Failures > 0 {
			st.State = StateReconnecting
		} else {
			st.State = StateIdle
		}
	case connectivity.Shutdown:
		st.State, st.NextRetry = StateIdle, time.Time{}
	}
	if st.State != prev {
		st.Since = now
		level := slog.LevelInfo
		if st.State == StateFailed {
			level = slog.LevelWarn
		}
		attrs := []any{"endpoint", addr, "from", prev.String(), "to", st.State.String()}
		if st.LastError != nil && st.State == StateFailed {
			attrs = append(attrs, "error", st.LastError.Error(), "next_retry", st.NextRetry)
		}
		t.logger.Log(context.Background(), level, "getcd: endpoint state changed", attrs...)
	}
}

func (t *tracker) snapshot() []EndpointStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]EndpointStatus, 0, len(t.order))
	for _, a := range t.order {
		s := *t.eps[a]
		if t.closed {
			s.State, s.NextRetry = StateClosed, time.Time{}
		}
		out = append(out, s)
	}
	return out
}

func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// lastErrors describes the failed endpoints, for "nothing reachable" errors.
func (t *tracker) lastErrors() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := ""
	for _, a := range t.order {
		if s != "" {
			s += "; "
		}
		st := t.eps[a]
		s += a + ": " + st.State.String()
		if st.LastError != nil {
			s += " (" + st.LastError.Error() + ")"
		}
	}
	return s
}

// The balancer: gRPC's round_robin, with every SubConn's state reported to
// the connection's tracker. The tracker travels in the resolver state's
// attributes.

const balancerName = "getcd_round_robin"

type trackerKey struct{}

func init() { balancer.Register(trackingBuilder{}) }

type trackingBuilder struct{}

func (trackingBuilder) Name() string { return balancerName }

func (trackingBuilder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	tcc := &trackingCC{ClientConn: cc}
	return &trackingBalancer{Balancer: balancer.Get(roundrobin.Name).Build(tcc, opts), cc: tcc}
}

type trackingBalancer struct {
	balancer.Balancer
	cc *trackingCC
}

func (b *trackingBalancer) UpdateClientConnState(s balancer.ClientConnState) error {
	if s.ResolverState.Attributes != nil {
		if t, ok := s.ResolverState.Attributes.Value(trackerKey{}).(*tracker); ok {
			b.cc.mu.Lock()
			b.cc.t = t
			b.cc.mu.Unlock()
		}
	}
	return b.Balancer.UpdateClientConnState(s)
}

type trackingCC struct {
	balancer.ClientConn
	mu sync.Mutex
	t  *tracker
}

func (c *trackingCC) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	c.mu.Lock()
	t := c.t
	c.mu.Unlock()
	if t != nil && len(addrs) > 0 {
		addr, next := addrs[0].Addr, opts.StateListener
		opts.StateListener = func(s balancer.SubConnState) {
			t.update(addr, s)
			if next != nil {
				next(s)
			}
		}
	}
	return c.ClientConn.NewSubConn(addrs, opts)
}
