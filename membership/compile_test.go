package membership_test

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/membership"
)

func compile(r membership.Request, call string) (proto.Message, error) {
	switch call {
	case "list":
		return r.ListRequest()
	case "add":
		return r.AddRequest()
	case "remove":
		return r.RemoveRequest()
	case "update":
		return r.UpdateRequest()
	case "promote":
		return r.PromoteRequest()
	}
	panic("unknown call " + call)
}

func TestCompile(t *testing.T) {
	peer := "http://127.0.0.1:2380"
	for _, tc := range []struct {
		name, call string
		req        membership.Request
		want       proto.Message
	}{
		{"list", "list", membership.New(), &pb.MemberListRequest{}},
		{"list linearizable", "list", membership.On("c").WithLinearizable().WithTimeout(time.Second), &pb.MemberListRequest{Linearizable: true}},
		{"add", "add", membership.New().WithPeerURLs(peer), &pb.MemberAddRequest{PeerURLs: []string{peer}}},
		{"add learner, two URLs", "add", membership.New().AsLearner().WithPeerURLs(peer, "https://[::1]:2380"),
			&pb.MemberAddRequest{PeerURLs: []string{peer, "https://[::1]:2380"}, IsLearner: true}},
		{"add unix socket", "add", membership.New().WithPeerURLs("unix://m1"), &pb.MemberAddRequest{PeerURLs: []string{"unix://m1"}}},
		{"remove", "remove", membership.New().WithID(math.MaxUint64), &pb.MemberRemoveRequest{ID: math.MaxUint64}},
		{"update", "update", membership.New().WithPeerURLs(peer).WithID(7), &pb.MemberUpdateRequest{ID: 7, PeerURLs: []string{peer}}},
		{"promote", "promote", membership.New().WithID(9), &pb.MemberPromoteRequest{ID: 9}},
	} {
		got, err := compile(tc.req, tc.call)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := cmp.Diff(tc.want, got, protocmp.Transform()); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
	}
}

// TestInvalid: every bad input is a *kv.FieldError naming the field, and
// nothing panics.
func TestInvalid(t *testing.T) {
	peer := "http://127.0.0.1:2380"
	for _, tc := range []struct {
		name, call string
		req        membership.Request
		field      string
	}{
		{"remove without ID", "remove", membership.New(), "id"},
		{"remove ID 0", "remove", membership.New().WithID(0), "id"},
		{"promote without ID", "promote", membership.New(), "id"},
		{"update without ID", "update", membership.New().WithPeerURLs(peer), "id"},
		{"update without URLs", "update", membership.New().WithID(1), "peer_urls"},
		{"add without URLs", "add", membership.New(), "peer_urls"},
		{"add with an empty list", "add", membership.New().WithPeerURLs(), "peer_urls"},
		{"add with an empty URL", "add", membership.New().WithPeerURLs(peer, ""), "peer_urls[1]"},
		{"add with a blank URL", "add", membership.New().WithPeerURLs("  "), "peer_urls[0]"},
		{"add without scheme", "add", membership.New().WithPeerURLs("127.0.0.1:2380"), "peer_urls[0]"},
		{"add with ftp", "add", membership.New().WithPeerURLs("ftp://h:1"), "peer_urls[0]"},
		{"add without port", "add", membership.New().WithPeerURLs("http://h"), "peer_urls[0]"},
		{"add with a path", "add", membership.New().WithPeerURLs("http://h:1/x"), "peer_urls[0]"},
		{"add unparsable", "add", membership.New().WithPeerURLs("http://[::1"), "peer_urls[0]"},
		{"update with a bad URL", "update", membership.New().WithID(1).WithPeerURLs("nope"), "peer_urls[0]"},
		{"list with an ID", "list", membership.New().WithID(1), "id"},
		{"list with URLs", "list", membership.New().WithPeerURLs(peer), "peer_urls"},
		{"add with an ID", "add", membership.New().WithPeerURLs(peer).WithID(1), "id"},
		{"update as learner", "update", membership.New().WithID(1).WithPeerURLs(peer).AsLearner(), "is_learner"},
		{"remove linearizable", "remove", membership.New().WithID(1).WithLinearizable(), "linearizable"},
		{"negative timeout", "list", membership.New().WithTimeout(-time.Second), "timeout"},
		// Not UTF-8: gRPC cannot encode these protobuf strings, and would
		// fail only after picking a member, as a write of unknown outcome.
		{"add with a host not in UTF-8", "add", membership.New().WithPeerURLs(peer, "http://h\xff:2380"), "peer_urls[1]"},
		{"add unix not in UTF-8", "add", membership.New().WithPeerURLs("unix://s\xc3"), "peer_urls[0]"},
		{"update not in UTF-8", "update", membership.New().WithID(1).WithPeerURLs("https://\xe9t\xe9:2380"), "peer_urls[0]"},
	} {
		m, err := compile(tc.req, tc.call)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a *kv.FieldError", tc.name, err)
			continue
		}
		if fe.Pkg != "membership" || fe.Req != tc.call || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: %+v, want membership/%s/%s with a reason", tc.name, *fe, tc.call, tc.field)
		}
		if !isNil(m) {
			t.Errorf("%s: a message came back with the error", tc.name)
		}
	}
}

func isNil(m proto.Message) bool {
	switch v := m.(type) {
	case *pb.MemberListRequest:
		return v == nil
	case *pb.MemberAddRequest:
		return v == nil
	case *pb.MemberRemoveRequest:
		return v == nil
	case *pb.MemberUpdateRequest:
		return v == nil
	case *pb.MemberPromoteRequest:
		return v == nil
	}
	return m == nil
}

// TestImmutable derives requests from one base in parallel (run with
// -race), and a caller's slice of URLs changed afterwards does not reach
// the request.
func TestImmutable(t *testing.T) {
	urls := []string{"http://a:1", "http://b:1"}
	base := membership.New().WithPeerURLs(urls...)
	urls[0] = "changed"
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := base.WithPeerURLs("http://c:1")
			if i%2 == 0 {
				r = base.AsLearner()
			}
			if _, err := r.AddRequest(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := base.AddRequest()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&pb.MemberAddRequest{PeerURLs: []string{"http://a:1", "http://b:1"}}, got, protocmp.Transform()); d != "" {
		t.Errorf("base changed (-want +got):\n%s", d)
	}
	got.PeerURLs[0] = "written"
	again, _ := base.AddRequest()
	if again.PeerURLs[0] != "http://a:1" {
		t.Errorf("writing a compiled message reached the request: %q", again.PeerURLs[0])
	}
}
