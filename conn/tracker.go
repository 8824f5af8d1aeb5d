package conn

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
)

// backoffMultiplier is the growth factor of gRPC's reconnect backoff, given
// to gRPC in New and used by the tracker to predict NextRetry.
const backoffMultiplier = 1.6

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

// retryDelay mirrors gRPC's exponential backoff without the jitter.
func (t *tracker) retryDelay(failures int) time.Duration {
	d := float64(t.base) * math.Pow(backoffMultiplier, float64(failures-1))
	if d > float64(t.max) {
		return t.max
	}
	return time.Duration(d)
}

// update records a state gRPC reported for the endpoint addr. The change is
// logged after the lock is released: the logger's handler is user code, and
// it may call Conn.Status.
func (t *tracker) update(addr string, s balancer.SubConnState) {
	if level, msg, attrs := t.record(addr, s); msg != "" {
		t.logger.Log(context.Background(), level, msg, attrs...)
	}
}

// record applies a state under the lock and returns the log record of the
// change, if any.
func (t *tracker) record(addr string, s balancer.SubConnState) (slog.Level, string, []any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, "", nil
	}
	st, ok := t.eps[addr]
	if !ok {
		return 0, "", nil // an endpoint SetEndpoints or Sync removed
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
	if st.State == prev {
		return 0, "", nil
	}
	st.Since = now
	level := slog.LevelInfo
	if st.State == StateFailed {
		level = slog.LevelWarn
	}
	attrs := []any{"endpoint", addr, "from", prev.String(), "to", st.State.String()}
	if st.LastError != nil && st.State == StateFailed {
		attrs = append(attrs, "error", st.LastError.Error(), "next_retry", st.NextRetry)
	}
	return level, "getcd: endpoint state changed", attrs
}

// setEndpoints makes addrs the endpoints, in that order: the rows of the
// endpoints that stay are kept, new ones start idle, the others go.
func (t *tracker) setEndpoints(addrs []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	next := make(map[string]*EndpointStatus, len(addrs))
	for _, a := range addrs {
		st, ok := t.eps[a]
		if !ok {
			st = &EndpointStatus{Endpoint: a, State: StateIdle, Since: now}
		}
		next[a] = st
	}
	t.eps, t.order = next, append([]string(nil), addrs...)
}

// setRotation records that addr was taken out of rotation for reason (out)
// or put back (!out), and logs the change. A reason given for an endpoint
// already out replaces the former one and is not logged.
func (t *tracker) setRotation(addr string, out bool, reason error) {
	t.mu.Lock()
	st, ok := t.eps[addr]
	if !ok || t.closed {
		t.mu.Unlock()
		return
	}
	changed := st.OutOfRotation != out
	now := time.Now()
	var outFor time.Duration
	if changed {
		if out {
			st.OutSince = now
		} else {
			outFor = now.Sub(st.OutSince)
			st.OutSince = time.Time{}
		}
	}
	st.OutOfRotation, st.OutReason = out, reason
	t.mu.Unlock()
	switch {
	case changed && out:
		t.logger.Warn("getcd: endpoint out of rotation", "endpoint", addr, "reason", reason.Error())
	case changed:
		t.logger.Info("getcd: endpoint back in rotation", "endpoint", addr, "was_out_for", outFor)
	}
}

// anyActive says whether one of addrs is connected (StateActive).
func (t *tracker) anyActive(addrs []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range addrs {
		if st, ok := t.eps[a]; ok && st.State == StateActive {
			return true
		}
	}
	return false
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
