package stm_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/stm"
)

func nop(context.Context, *stm.Tx) error { return nil }

func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, stm.ErrInvalidRequest) {
		t.Fatalf("errors.Is(%v, stm.ErrInvalidRequest) = false", err)
	}
	var fe *stm.FieldError
	if !errors.As(err, &fe) || fe.Pkg != "stm" || fe.Field != field || fe.Reason == "" {
		t.Fatalf("error %v is not a stm FieldError naming %q", err, field)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   stm.Request
		field string
	}{
		{"no function", stm.Request{}, "func"},
		{"nil function", stm.New(nil), "func"},
		{"unknown isolation", stm.New(nop).WithIsolation(7), "isolation"},
		{"negative isolation", stm.New(nop).WithIsolation(-1), "isolation"},
		{"negative attempts", stm.New(nop).WithMaxAttempts(-1), "max_attempts"},
		{"negative max ops", stm.New(nop).WithMaxOps(-3), "max_ops"},
		{"negative backoff base", stm.New(nop).WithBackoff(stm.Backoff{Base: -time.Millisecond}), "backoff.base"},
		{"negative backoff max", stm.New(nop).WithBackoff(stm.Backoff{Max: -time.Millisecond}), "backoff.max"},
		{"max below base", stm.New(nop).WithBackoff(stm.Backoff{Base: time.Second, Max: time.Millisecond}), "backoff.max"},
		{"empty prefetch key", stm.New(nop).WithPrefetch("a", ""), "prefetch[1]"},
		{"too many prefetch keys", stm.New(nop).WithMaxOps(2).WithPrefetch("a", "b", "c"), "prefetch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFieldError(t, tc.req.Validate(), tc.field)
			// Run refuses it before touching the connection, which is nil.
			res, err := stm.Run(context.Background(), nil, tc.req)
			wantFieldError(t, err, tc.field)
			if res != (stm.Result{}) {
				t.Errorf("Run result %+v, want zero", res)
			}
		})
	}
}

func TestValidRequests(t *testing.T) {
	for _, req := range []stm.Request{
		stm.New(nop),
		stm.On("main", nop),
		stm.New(nop).WithIsolation(stm.ReadCommitted).WithMaxAttempts(1).WithMaxOps(1000).
			WithBackoff(stm.Backoff{Base: time.Nanosecond, Max: time.Nanosecond}).WithPrefetch("a", "b").
			WithOnRetry(func(stm.Retry) {}),
		// A default never contradicts the field that is set.
		stm.New(nop).WithBackoff(stm.Backoff{Base: time.Second}),
		stm.New(nop).WithBackoff(stm.Backoff{Max: time.Microsecond}),
	} {
		if err := req.Validate(); err != nil {
			t.Errorf("Validate() = %v, want nil", err)
		}
	}
}

func TestRunNilConn(t *testing.T) {
	_, err := stm.Run(context.Background(), nil, stm.New(nop))
	wantFieldError(t, err, "conn")
}

func TestDefaults(t *testing.T) {
	r := stm.New(nop)
	if r.Isolation() != stm.SerializableSnapshot {
		t.Errorf("default isolation %v", r.Isolation())
	}
	if r.MaxAttempts() != stm.DefaultMaxAttempts {
		t.Errorf("default MaxAttempts %d", r.MaxAttempts())
	}
	if r.WithMaxAttempts(3).MaxAttempts() != 3 {
		t.Error("WithMaxAttempts(3) not kept")
	}
	if r.Conn() != "" || stm.On("a", nop).Conn() != "a" || r.WithConn("b").Conn() != "b" {
		t.Error("connection names not kept")
	}
}

// TestImmutable shows that requests derived from one base never see each
// other's prefetch keys, even when the base's slice has spare capacity.
func TestImmutable(t *testing.T) {
	base := stm.New(nop).WithPrefetch("a", "b", "c").WithPrefetch("d") // cap > len after the second append
	x := base.WithPrefetch("x")
	y := base.WithPrefetch("y")
	if got := x.Prefetch(); !slices.Equal(got, []string{"a", "b", "c", "d", "x"}) {
		t.Errorf("x prefetch %q", got)
	}
	if got := y.Prefetch(); !slices.Equal(got, []string{"a", "b", "c", "d", "y"}) {
		t.Errorf("y prefetch %q", got)
	}
	if got := base.Prefetch(); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("base prefetch %q", got)
	}
	p := base.Prefetch()
	p[0] = "changed"
	if base.Prefetch()[0] != "a" {
		t.Error("Prefetch returned the request's own slice")
	}
	_ = base.WithIsolation(stm.ReadCommitted).WithMaxAttempts(2).WithConn("n")
	if base.Isolation() != stm.SerializableSnapshot || base.MaxAttempts() != stm.DefaultMaxAttempts || base.Conn() != "" {
		t.Error("a With method changed its receiver")
	}
}

func TestIsolationString(t *testing.T) {
	for iso, want := range map[stm.Isolation]string{
		stm.SerializableSnapshot: "serializable-snapshot",
		stm.Serializable:         "serializable",
		stm.RepeatableReads:      "repeatable-reads",
		stm.ReadCommitted:        "read-committed",
		9:                        "Isolation(9)",
	} {
		if got := iso.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(iso), got, want)
		}
	}
}

func TestConflictError(t *testing.T) {
	err := error(&stm.ConflictError{Attempts: 3, Keys: []string{"a", "b"}})
	if !errors.Is(err, stm.ErrConflict) {
		t.Error("ConflictError does not match ErrConflict")
	}
	if got, want := err.Error(), `stm: conflict: gave up after 3 attempts; last changed keys: "a", "b"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&stm.ConflictError{Attempts: 1}).Error(), "stm: conflict: gave up after 1 attempt"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Is(err, conn.ErrUnknownOutcome) {
		t.Error("a conflict claims an unknown outcome")
	}
}
