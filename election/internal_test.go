package election

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/electionpb"
	"github.com/getcd/getcd/watch"
)

// TestKeyLayout checks the candidate key against etcd's recipe, which
// formats the lease with %x.
func TestKeyLayout(t *testing.T) {
	for _, id := range []int64{1, 0x2a, 0x694d7d3b11e6e304, 1<<63 - 1} {
		if got, want := keyOf("jobs/leader", id), fmt.Sprintf("%s/%x", "jobs/leader", id); got != want {
			t.Errorf("keyOf(%d) = %q, want %q", id, got, want)
		}
	}
	if got := prefixOf("jobs"); got != "jobs/" {
		t.Errorf("prefixOf = %q", got)
	}
}

// TestGuard compiles a leadership's guard.
func TestGuard(t *testing.T) {
	got, err := LeaderKey{Name: "e", Key: "e/2a", Rev: 9, Lease: 42}.Guard().Compile()
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.Compare{Result: pb.Compare_EQUAL, Target: pb.Compare_CREATE, Key: []byte("e/2a"),
		TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 9}}
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("guard (-want +got):\n%s", d)
	}
}

func put(key string, create, mod int64, value string) watch.Event {
	return watch.Event{Type: watch.Put, KV: conn.KeyValue{Key: []byte(key), Value: []byte(value), CreateRevision: create, ModRevision: mod}}
}

func del(key string, mod int64) watch.Event {
	return watch.Event{Type: watch.Delete, KV: conn.KeyValue{Key: []byte(key), ModRevision: mod}}
}

// TestObserverChanges feeds events to an observer, a revision at a time,
// and checks what it yields: every change of leader or value once, vacancy
// included, nothing for candidates queueing behind the leader.
func TestObserverChanges(t *testing.T) {
	type step struct {
		evs  []watch.Event
		want string // what is yielded, "" for nothing
	}
	var got []string
	o := &observer{yield: func(li LeaderInfo, err error) bool {
		if li.Vacant() {
			got = append(got, fmt.Sprintf("vacant@%d", li.Header.Revision))
		} else {
			got = append(got, fmt.Sprintf("%s=%s(c%d)@%d", li.KV.Key, li.KV.Value, li.KV.CreateRevision, li.Header.Revision))
		}
		return true
	}}
	if !o.report(conn.Header{Revision: 1}) || len(got) != 1 || got[0] != "vacant@1" {
		t.Fatalf("first report: %v", got)
	}
	steps := []step{
		{[]watch.Event{put("e/a", 2, 2, "A")}, "e/a=A(c2)@2"},
		{[]watch.Event{put("e/b", 3, 3, "B")}, ""},                             // queues behind a
		{[]watch.Event{put("e/b", 3, 4, "B2")}, ""},                            // a follower's value
		{[]watch.Event{put("e/a", 2, 5, "A")}, ""},                             // same value again
		{[]watch.Event{put("e/a", 2, 6, "A2")}, "e/a=A2(c2)@6"},                // proclaimed
		{[]watch.Event{del("e/a", 7)}, "e/b=B2(c3)@7"},                         // hand-over
		{[]watch.Event{put("e/a", 8, 8, "A3"), del("e/b", 8)}, "e/a=A3(c8)@8"}, // one txn
		{[]watch.Event{del("e/a", 9)}, "vacant@9"},
		{[]watch.Event{put("e/c", 10, 10, "C")}, "e/c=C(c10)@10"},
		{[]watch.Event{del("e/x", 11)}, ""}, // unknown key
	}
	for i, s := range steps {
		before := len(got)
		for _, ev := range s.evs {
			o.apply(ev)
		}
		o.report(conn.Header{Revision: s.evs[0].KV.ModRevision})
		var yielded string
		if len(got) > before {
			yielded = got[len(got)-1]
		}
		if len(got) > before+1 || yielded != s.want {
			t.Errorf("step %d: yielded %q, want %q (all: %v)", i, yielded, s.want, got[before:])
		}
	}
}

// FuzzResponses feeds arbitrary bytes to the decoding of every answer of
// the server-side service: a typed error or a result, never a panic.
func FuzzResponses(f *testing.F) {
	f.Add([]byte{})
	f.Add(protowire.AppendTag(nil, 1, protowire.BytesType))
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01, 0x12, 0x05, 0x0a, 0x01, 'k', 0x18, 0x07})
	f.Add([]byte{0x12, 0x7f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		checks := []func() error{
			func() error { _, err := leaderInfo(MethodLeader, b); return err },
			func() error {
				_, err := electionpb.DecodeCampaignResponse(b)
				return err
			},
			func() error {
				_, err := electionpb.DecodeHeaderResponse(b)
				return err
			},
		}
		for i, check := range checks {
			err := check()
			if err == nil {
				continue
			}
			if !errors.Is(err, electionpb.ErrMalformed) {
				t.Fatalf("decoder %d: error %v does not match ErrMalformed", i, err)
			}
			if i == 0 && !errors.Is(err, ErrBadResponse) {
				t.Fatalf("leaderInfo: error %v does not match ErrBadResponse", err)
			}
		}
	})
}

// A failed campaign's guarded delete is sent again while the cluster cannot
// take it for now (an election under way included), and not after a
// refusal that will not change.
func TestCleanupRetryable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   *conn.Error
		retry bool
	}{
		{"unknown outcome", &conn.Error{Code: codes.Unavailable, Message: "transport is closing"}, true},
		{"not sent", &conn.Error{Code: codes.Unavailable, Message: "connection refused", NotSent: true}, true},
		{"no leader", &conn.Error{Code: codes.Unavailable, Message: "etcdserver: no leader"}, true},
		{"request timed out", &conn.Error{Code: codes.Unavailable, Message: "etcdserver: request timed out"}, true},
		{"too many requests", &conn.Error{Code: codes.ResourceExhausted, Message: "etcdserver: too many requests"}, true},
		{"permission denied", &conn.Error{Code: codes.PermissionDenied, Message: "etcdserver: permission denied"}, false},
		{"corrupt", &conn.Error{Code: codes.DataLoss, Message: "etcdserver: corrupt cluster"}, false},
	} {
		if got := cleanupRetryable(tc.err); got != tc.retry {
			t.Errorf("%s (%v): retry %v, want %v", tc.name, tc.err, got, tc.retry)
		}
	}
}

// An answer to Campaign that cannot be decoded is a bad response whose
// outcome is unknown (the server ran the campaign: the key may lead), so
// that ServerCampaign deletes the key; a good one is converted.
func TestDecodeCampaign(t *testing.T) {
	leader := electionpb.AppendLeaderKey(nil, &electionpb.LeaderKey{Name: []byte("e"), Key: []byte("e/1"), Rev: 7, Lease: 1})
	good := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), leader)
	r, err := decodeCampaign(good)
	if err != nil || r.Leader != (LeaderKey{Name: "e", Key: "e/1", Rev: 7, Lease: 1}) {
		t.Fatalf("decodeCampaign: %+v, %v", r, err)
	}
	r, err = decodeCampaign([]byte{2<<3 | 2, 9})
	if r != nil || !errors.Is(err, ErrBadResponse) || !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("truncated: %+v, %v; want ErrBadResponse and conn.ErrUnknownOutcome", r, err)
	}
}
