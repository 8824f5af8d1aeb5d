package lease_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/lease"
)

// TestCompile compiles every call's request and compares the message with
// the one etcd expects.
func TestCompile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compile func() (proto.Message, error)
		want    proto.Message
	}{
		{"grant", func() (proto.Message, error) { return lease.TTL(10).GrantRequest() }, &pb.LeaseGrantRequest{TTL: 10}},
		{"grant with ID", func() (proto.Message, error) { return lease.ID(7).WithTTL(10).GrantRequest() }, &pb.LeaseGrantRequest{TTL: 10, ID: 7}},
		{"grant with ID 0 (server chooses)", func() (proto.Message, error) { return lease.TTL(5).WithID(0).GrantRequest() }, &pb.LeaseGrantRequest{TTL: 5}},
		{"grant at the maximum TTL", func() (proto.Message, error) { return lease.TTL(lease.MaxTTL).GrantRequest() }, &pb.LeaseGrantRequest{TTL: lease.MaxTTL}},
		{"grant with conn and timeout", func() (proto.Message, error) {
			return lease.On("main").WithTTL(3).WithTimeout(time.Second).GrantRequest()
		}, &pb.LeaseGrantRequest{TTL: 3}},
		{"revoke", func() (proto.Message, error) { return lease.ID(42).RevokeRequest() }, &pb.LeaseRevokeRequest{ID: 42}},
		{"time-to-live", func() (proto.Message, error) { return lease.ID(42).TimeToLiveRequest() }, &pb.LeaseTimeToLiveRequest{ID: 42}},
		{"time-to-live with keys", func() (proto.Message, error) { return lease.ID(42).WithKeys().TimeToLiveRequest() }, &pb.LeaseTimeToLiveRequest{ID: 42, Keys: true}},
		{"leases", func() (proto.Message, error) { return lease.New().LeasesRequest() }, &pb.LeaseLeasesRequest{}},
		{"keep-alive once", func() (proto.Message, error) { return lease.ID(42).KeepAliveRequest() }, &pb.LeaseKeepAliveRequest{ID: 42}},
	} {
		got, err := tc.compile()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}
}

// TestInvalid lists invalid requests of each call: each fails with a
// lease FieldError naming the field, matching kv.ErrInvalidRequest.
func TestInvalid(t *testing.T) {
	grant := func(r lease.Request) error { _, err := r.GrantRequest(); return err }
	revoke := func(r lease.Request) error { _, err := r.RevokeRequest(); return err }
	ttl := func(r lease.Request) error { _, err := r.TimeToLiveRequest(); return err }
	leases := func(r lease.Request) error { _, err := r.LeasesRequest(); return err }
	once := func(r lease.Request) error { _, err := r.KeepAliveRequest(); return err }
	for _, tc := range []struct {
		name, req, field string
		compile          func(lease.Request) error
		r                lease.Request
	}{
		{"grant without TTL", "grant", "ttl", grant, lease.New()},
		{"grant TTL 0", "grant", "ttl", grant, lease.TTL(0)},
		{"grant negative TTL", "grant", "ttl", grant, lease.TTL(-1)},
		{"grant TTL too large", "grant", "ttl", grant, lease.TTL(lease.MaxTTL + 1)},
		{"grant negative ID", "grant", "id", grant, lease.TTL(5).WithID(-2)},
		{"grant with keys", "grant", "keys", grant, lease.TTL(5).WithKeys()},
		{"grant with recovery", "grant", "recovery", grant, lease.TTL(5).WithRecovery()},
		{"grant negative timeout", "grant", "timeout", grant, lease.TTL(5).WithTimeout(-time.Second)},
		{"revoke without ID", "revoke", "id", revoke, lease.New()},
		{"revoke ID 0", "revoke", "id", revoke, lease.ID(0)},
		{"revoke negative ID", "revoke", "id", revoke, lease.ID(-9)},
		{"revoke with TTL", "revoke", "ttl", revoke, lease.ID(1).WithTTL(2)},
		{"revoke with keys", "revoke", "keys", revoke, lease.ID(1).WithKeys()},
		{"time-to-live without ID", "time_to_live", "id", ttl, lease.New().WithKeys()},
		{"time-to-live with TTL", "time_to_live", "ttl", ttl, lease.ID(1).WithTTL(2)},
		{"leases with ID", "leases", "id", leases, lease.ID(1)},
		{"leases with keys", "leases", "keys", leases, lease.New().WithKeys()},
		{"keep-alive once without ID", "keep_alive_once", "id", once, lease.On("x")},
		{"keep-alive once with keys", "keep_alive_once", "keys", once, lease.ID(3).WithKeys()},
	} {
		err := tc.compile(tc.r)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a FieldError", tc.name, err)
			continue
		}
		if fe.Pkg != "lease" || fe.Req != tc.req || fe.Field != tc.field {
			t.Errorf("%s: %+v, want lease %s request, field %s", tc.name, *fe, tc.req, tc.field)
		}
	}
	err := grant(lease.TTL(0))
	if got, want := err.Error(), "lease: invalid grant request: ttl: must be positive, got 0"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestAccessors reads back what a request was given.
func TestAccessors(t *testing.T) {
	r := lease.On("main").WithTTL(5).WithID(9).WithTimeout(time.Second)
	if r.Conn() != "main" || r.LeaseTTL() != 5 || r.LeaseID() != 9 || r.Timeout() != time.Second {
		t.Errorf("accessors: %q %d %d %v", r.Conn(), r.LeaseTTL(), r.LeaseID(), r.Timeout())
	}
	if r.WithConn("other").Conn() != "other" || lease.New().Conn() != "" {
		t.Error("WithConn")
	}
}

// TestImmutable derives requests from one base in many goroutines (run
// with -race): the base never changes.
func TestImmutable(t *testing.T) {
	base := lease.On("main").WithTTL(5)
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range 1000 {
				r := base.WithID(int64(i*1000 + j + 1)).WithKeys().WithTimeout(time.Millisecond)
				if r.LeaseID() != int64(i*1000+j+1) {
					t.Error("derived request lost its ID")
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if base != lease.On("main").WithTTL(5) {
		t.Errorf("base changed: %+v", base)
	}
	if _, err := base.GrantRequest(); err != nil {
		t.Errorf("base no longer compiles: %v", err)
	}
}

var (
	sinkReq lease.Request
	sinkMsg *pb.LeaseGrantRequest
)

// TestAllocs: building a request allocates nothing; compiling allocates the
// message only.
func TestAllocs(t *testing.T) {
	if got := testing.AllocsPerRun(1000, func() {
		sinkReq = lease.On("main").WithTTL(10).WithID(3).WithKeys().WithTimeout(time.Second).WithRecovery().WithConn("x")
	}); got != 0 {
		t.Errorf("With* chain: %v allocs, want 0", got)
	}
	r := lease.TTL(10)
	if got := testing.AllocsPerRun(1000, func() { sinkMsg, _ = r.GrantRequest() }); got != 1 {
		t.Errorf("GrantRequest: %v allocs, want 1", got)
	}
}
