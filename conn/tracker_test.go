package conn

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
)

func TestTrackerStates(t *testing.T) {
	tr := newTracker([]endpoint{{addr: "a:1"}, {addr: "b:2"}}, 100*time.Millisecond, time.Second, slog.New(slog.DiscardHandler))
	state := func(addr string) EndpointStatus {
		for _, s := range tr.snapshot() {
			if s.Endpoint == addr {
				return s
			}
		}
		t.Fatalf("no status for %s", addr)
		return EndpointStatus{}
	}
	if s := state("a:1"); s.State != StateIdle {
		t.Errorf("initial state = %v", s.State)
	}
	tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.Connecting})
	if s := state("a:1"); s.State != StateConnecting {
		t.Errorf("first attempt = %v, want connecting", s.State)
	}
	refused := errors.New("connection refused")
	before := time.Now()
	for i := 1; i <= 8; i++ {
		tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.TransientFailure, ConnectionError: refused})
		s := state("a:1")
		if s.State != StateFailed || s.Failures != i || s.LastError != refused {
			t.Fatalf("after failure %d: %+v", i, s)
		}
		want := tr.retryDelay(i)
		if s.NextRetry.Before(before.Add(want)) || s.NextRetry.After(time.Now().Add(want)) {
			t.Errorf("failure %d: next retry %v not %v after the failure", i, s.NextRetry, want)
		}
		tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.Connecting})
		if s := state("a:1"); s.State != StateReconnecting || !s.NextRetry.IsZero() {
			t.Errorf("retry after failure %d: %+v, want reconnecting", i, s)
		}
	}
	select {
	case <-tr.onReady:
		t.Fatal("ready signalled before any endpoint was ready")
	default:
	}
	tr.update("b:2", balancer.SubConnState{ConnectivityState: connectivity.Ready})
	if s := state("b:2"); s.State != StateActive {
		t.Errorf("ready = %v, want active", s.State)
	}
	select {
	case <-tr.onReady:
	default:
		t.Fatal("ready not signalled")
	}
	tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.Ready})
	if s := state("a:1"); s.State != StateActive || s.Failures != 0 || s.LastError != nil {
		t.Errorf("recovered endpoint: %+v", s)
	}
	tr.close()
	for _, s := range tr.snapshot() {
		if s.State != StateClosed {
			t.Errorf("after close: %+v", s)
		}
	}
}

// lockProbe is a slog handler that checks, for every record, whether the
// tracker's lock is held: a handler is user code and may call Conn.Status,
// which takes that lock.
type lockProbe struct {
	tr       **tracker
	records  *int
	underMu  *int
	statuses *int
}

func (h lockProbe) Enabled(context.Context, slog.Level) bool { return true }
func (h lockProbe) Handle(context.Context, slog.Record) error {
	*h.records++
	tr := *h.tr
	if !tr.mu.TryLock() {
		*h.underMu++
		return nil
	}
	tr.mu.Unlock()
	*h.statuses += len(tr.snapshot()) // what a handler calling Status does
	return nil
}
func (h lockProbe) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h lockProbe) WithGroup(string) slog.Handler      { return h }

func TestTrackerLogsOutsideLock(t *testing.T) {
	var tr *tracker
	var records, underMu, statuses int
	tr = newTracker([]endpoint{{addr: "a:1"}}, 100*time.Millisecond, time.Second,
		slog.New(lockProbe{tr: &tr, records: &records, underMu: &underMu, statuses: &statuses}))
	tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.Connecting})
	tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.TransientFailure, ConnectionError: errors.New("refused")})
	tr.update("a:1", balancer.SubConnState{ConnectivityState: connectivity.Ready})
	if records != 3 {
		t.Fatalf("%d records for three state changes", records)
	}
	if underMu != 0 {
		t.Errorf("%d of %d records were logged with the tracker locked; a handler calling Conn.Status would deadlock", underMu, records)
	}
	if statuses != 3 {
		t.Errorf("the handler saw %d endpoint statuses, want one per record", statuses)
	}
}

func TestRetryDelay(t *testing.T) {
	tr := &tracker{base: 100 * time.Millisecond, max: time.Second}
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{{1, 100 * time.Millisecond}, {2, 160 * time.Millisecond}, {3, 256 * time.Millisecond}, {6, time.Second}, {50, time.Second}} {
		if got := tr.retryDelay(tc.failures); got != tc.want {
			t.Errorf("retryDelay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}
