package electiontest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	epb "go.etcd.io/etcd/server/v3/etcdserver/api/v3election/v3electionpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/election"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/internal/electionpb"
)

// marshal is etcd's encoding of m, deterministic.
func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func theirKey(k *electionpb.LeaderKey) *epb.LeaderKey {
	if k == nil {
		return nil
	}
	return &epb.LeaderKey{Name: k.Name, Key: k.Key, Rev: k.Rev, Lease: k.Lease}
}

type requestCase struct {
	name         string
	nameB, value []byte
	lease        int64
	leader       *electionpb.LeaderKey
}

var requestCases = []requestCase{
	{name: "empty"},
	{name: "typical", nameB: []byte("jobs/leader"), value: []byte("node-1"), lease: 0x694d7d3b11e6e304,
		leader: &electionpb.LeaderKey{Name: []byte("jobs/leader"), Key: []byte("jobs/leader/694d7d3b11e6e304"), Rev: 12345, Lease: 0x694d7d3b11e6e304}},
	{name: "empty leader key", nameB: []byte("e"), leader: &electionpb.LeaderKey{}},
	{name: "negative numbers", nameB: []byte{0, 0xff}, lease: -1, value: []byte{0},
		leader: &electionpb.LeaderKey{Rev: -9, Lease: -1 << 63}},
	{name: "large value", nameB: bytes.Repeat([]byte("n"), 300), value: bytes.Repeat([]byte{0x80}, 70000), lease: 1,
		leader: &electionpb.LeaderKey{Name: []byte("n"), Key: bytes.Repeat([]byte("k"), 200), Rev: 1 << 40, Lease: 1}},
}

// checkRequests encodes every request with getcd's encoder and with etcd's
// generated types, and wants the same bytes; then decodes getcd's bytes
// with etcd's types and wants the same message back.
func checkRequests(t testing.TB, c requestCase) {
	pairs := []struct {
		what   string
		mine   []byte
		theirs proto.Message
		into   proto.Message
	}{
		{"CampaignRequest", electionpb.AppendCampaignRequest(nil, c.nameB, c.lease, c.value),
			&epb.CampaignRequest{Name: c.nameB, Lease: c.lease, Value: c.value}, &epb.CampaignRequest{}},
		{"LeaderRequest", electionpb.AppendLeaderRequest(nil, c.nameB), &epb.LeaderRequest{Name: c.nameB}, &epb.LeaderRequest{}},
		{"ResignRequest", electionpb.AppendResignRequest(nil, c.leader), &epb.ResignRequest{Leader: theirKey(c.leader)}, &epb.ResignRequest{}},
		{"ProclaimRequest", electionpb.AppendProclaimRequest(nil, c.leader, c.value),
			&epb.ProclaimRequest{Leader: theirKey(c.leader), Value: c.value}, &epb.ProclaimRequest{}},
	}
	if c.leader != nil {
		pairs = append(pairs, struct {
			what   string
			mine   []byte
			theirs proto.Message
			into   proto.Message
		}{"LeaderKey", electionpb.AppendLeaderKey(nil, c.leader), theirKey(c.leader), &epb.LeaderKey{}})
	}
	for _, p := range pairs {
		if want := marshal(t, p.theirs); !bytes.Equal(p.mine, want) {
			t.Errorf("%s %s: getcd encodes\n%x\netcd encodes\n%x", c.name, p.what, p.mine, want)
		}
		if err := proto.Unmarshal(p.mine, p.into); err != nil {
			t.Errorf("%s %s: etcd cannot decode getcd's bytes: %v", c.name, p.what, err)
		} else if d := cmp.Diff(p.theirs, p.into, protocmp.Transform()); d != "" {
			t.Errorf("%s %s: etcd decodes getcd's bytes as (-want +got)\n%s", c.name, p.what, d)
		}
	}
}

func TestEncodeRequests(t *testing.T) {
	for _, c := range requestCases {
		checkRequests(t, c)
	}
}

type responseCase struct {
	name     string
	header   *pb.ResponseHeader
	leader   *epb.LeaderKey
	kv       *mvccpb.KeyValue
	trailing []byte // appended: unknown fields, repeated fields
}

var responseCases = []responseCase{
	{name: "empty"},
	{name: "typical", header: &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: 30, RaftTerm: 4},
		leader: &epb.LeaderKey{Name: []byte("jobs"), Key: []byte("jobs/2a"), Rev: 29, Lease: 0x2a},
		kv:     &mvccpb.KeyValue{Key: []byte("jobs/2a"), CreateRevision: 29, ModRevision: 30, Version: 2, Value: []byte("v"), Lease: 0x2a}},
	{name: "empty embedded", header: &pb.ResponseHeader{}, leader: &epb.LeaderKey{}, kv: &mvccpb.KeyValue{}},
	{name: "unknown fields", header: &pb.ResponseHeader{Revision: 5}, leader: &epb.LeaderKey{Rev: 3}, kv: &mvccpb.KeyValue{Key: []byte("k")},
		trailing: []byte{0x78, 0x01, 0xa2, 0x06, 0x01, 'x'}}, // field 15 varint, field 100 bytes
	{name: "repeated header merges", header: &pb.ResponseHeader{Revision: 5, MemberId: 9},
		trailing: []byte{0x0a, 0x02, 0x18, 0x07}}, // header {revision: 7} again
	{name: "known field of another wire type", header: &pb.ResponseHeader{Revision: 5},
		trailing: []byte{0x08, 0x01, 0x10, 0x02}}, // header and leader/kv as varints
}

// checkResponses encodes every response with etcd's types and decodes it
// with getcd's decoder; both must agree with etcd's own decoding.
func checkResponses(t testing.TB, c responseCase) {
	campaign := append(marshal(t, &epb.CampaignResponse{Header: c.header, Leader: c.leader}), c.trailing...)
	var wantC epb.CampaignResponse
	if err := proto.Unmarshal(campaign, &wantC); err != nil {
		t.Fatalf("%s: etcd cannot decode its own CampaignResponse: %v", c.name, err)
	}
	gotC, err := electionpb.DecodeCampaignResponse(campaign)
	if err != nil {
		t.Fatalf("%s: DecodeCampaignResponse: %v", c.name, err)
	}
	wantC.ProtoReflect().SetUnknown(nil)
	if d := cmp.Diff(&wantC, &epb.CampaignResponse{Header: gotC.Header, Leader: theirKey(gotC.Leader)}, protocmp.Transform(), protocmp.IgnoreUnknown()); d != "" {
		t.Errorf("%s: CampaignResponse (-etcd +getcd)\n%s", c.name, d)
	}

	leader := append(marshal(t, &epb.LeaderResponse{Header: c.header, Kv: c.kv}), c.trailing...)
	var wantL epb.LeaderResponse
	if err := proto.Unmarshal(leader, &wantL); err != nil {
		t.Fatalf("%s: etcd cannot decode its own LeaderResponse: %v", c.name, err)
	}
	gotL, err := electionpb.DecodeLeaderResponse(leader)
	if err != nil {
		t.Fatalf("%s: DecodeLeaderResponse: %v", c.name, err)
	}
	if d := cmp.Diff(&wantL, &epb.LeaderResponse{Header: gotL.Header, Kv: gotL.KV}, protocmp.Transform(), protocmp.IgnoreUnknown()); d != "" {
		t.Errorf("%s: LeaderResponse (-etcd +getcd)\n%s", c.name, d)
	}

	for _, m := range []proto.Message{&epb.ResignResponse{Header: c.header}, &epb.ProclaimResponse{Header: c.header}} {
		b := append(marshal(t, m), c.trailing...)
		var want epb.ResignResponse
		if err := proto.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got, err := electionpb.DecodeHeaderResponse(b)
		if err != nil {
			t.Fatalf("%s: DecodeHeaderResponse: %v", c.name, err)
		}
		if d := cmp.Diff(&want, &epb.ResignResponse{Header: got.Header}, protocmp.Transform(), protocmp.IgnoreUnknown()); d != "" {
			t.Errorf("%s: %T (-etcd +getcd)\n%s", c.name, m, d)
		}
	}
}

func TestDecodeResponses(t *testing.T) {
	for _, c := range responseCases {
		checkResponses(t, c)
	}
}

// TestDecodeDetectsDifference is the control: a response changed after
// encoding no longer decodes to etcd's message.
func TestDecodeDetectsDifference(t *testing.T) {
	b := marshal(t, &epb.CampaignResponse{Leader: &epb.LeaderKey{Rev: 29}})
	got, err := electionpb.DecodeCampaignResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&epb.CampaignResponse{Leader: &epb.LeaderKey{Rev: 30}}, &epb.CampaignResponse{Leader: theirKey(got.Leader)}, protocmp.Transform()); d == "" {
		t.Fatal("a different revision compares equal")
	}
}

// FuzzWire runs both directions on fuzzed field values, and feeds the raw
// bytes to every decoder, comparing with etcd's verdict: when etcd decodes
// them, getcd must decode them to the same message; when getcd refuses
// them, with a typed error, etcd must refuse them too; when etcd refuses
// them, getcd must refuse them.
func FuzzWire(f *testing.F) {
	f.Add([]byte("jobs"), []byte("v"), int64(42), int64(7), []byte{0x0a, 0x00})
	f.Add([]byte{}, []byte{}, int64(0), int64(-1), []byte{0xff})
	f.Add([]byte{0}, []byte{0x80, 0x01}, int64(-1<<63), int64(1<<62), []byte{0x12, 0x03, 0x08, 0x96, 0x01})
	// A field number above 2^29-1, which etcd's decoder refuses.
	f.Add([]byte{}, []byte{}, int64(0), int64(0), []byte{0x80, 0xff, 0xff, 0xff, 0x30, 0x30})
	f.Fuzz(func(t *testing.T, name, value []byte, lease, rev int64, raw []byte) {
		k := &electionpb.LeaderKey{Name: name, Key: value, Rev: rev, Lease: lease}
		checkRequests(t, requestCase{name: "fuzz", nameB: name, value: value, lease: lease, leader: k})
		checkResponses(t, responseCase{name: "fuzz",
			header: &pb.ResponseHeader{Revision: rev, MemberId: uint64(lease)},
			leader: theirKey(k),
			kv:     &mvccpb.KeyValue{Key: name, Value: value, CreateRevision: rev, Lease: lease}})

		var wantL epb.LeaderResponse
		theirErr := proto.Unmarshal(raw, &wantL)
		gotL, err := electionpb.DecodeLeaderResponse(raw)
		switch {
		case err != nil && !errors.Is(err, electionpb.ErrMalformed):
			t.Fatalf("untyped error %v", err)
		case err != nil && theirErr == nil:
			t.Fatalf("getcd refuses %x (%v), etcd decodes it", raw, err)
		case err == nil && theirErr != nil:
			t.Fatalf("etcd refuses %x (%v), getcd decodes it", raw, theirErr)
		case err == nil && theirErr == nil:
			if d := cmp.Diff(&wantL, &epb.LeaderResponse{Header: gotL.Header, Kv: gotL.KV}, protocmp.Transform(), protocmp.IgnoreUnknown()); d != "" {
				t.Fatalf("%x: (-etcd +getcd)\n%s", raw, d)
			}
		}
		var wantC epb.CampaignResponse
		theirErr = proto.Unmarshal(raw, &wantC)
		gotC, err := electionpb.DecodeCampaignResponse(raw)
		switch {
		case err != nil && !errors.Is(err, electionpb.ErrMalformed):
			t.Fatalf("untyped error %v", err)
		case err != nil && theirErr == nil:
			t.Fatalf("getcd refuses %x (%v), etcd decodes it", raw, err)
		case err == nil && theirErr != nil:
			t.Fatalf("etcd refuses %x (%v), getcd decodes it", raw, theirErr)
		case err == nil && theirErr == nil:
			wantC.ProtoReflect().SetUnknown(nil)
			if wantC.Leader != nil {
				wantC.Leader.ProtoReflect().SetUnknown(nil)
			}
			if d := cmp.Diff(&wantC, &epb.CampaignResponse{Header: gotC.Header, Leader: theirKey(gotC.Leader)}, protocmp.Transform(), protocmp.IgnoreUnknown()); d != "" {
				t.Fatalf("%x: (-etcd +getcd)\n%s", raw, d)
			}
		}
	})
}

// TestMethodNames checks the method names against etcd's service
// descriptor, and that Observe is its one server-streaming method.
func TestMethodNames(t *testing.T) {
	want := map[string]string{
		"Campaign": election.MethodCampaign, "Proclaim": election.MethodProclaim, "Leader": election.MethodLeader,
		"Resign": election.MethodResign,
	}
	desc := epb.Election_ServiceDesc
	etcdtest.CheckUnaryMethods(t, desc, want)
	if len(desc.Streams) != 1 || "/"+desc.ServiceName+"/"+desc.Streams[0].StreamName != election.MethodObserve ||
		!desc.Streams[0].ServerStreams || desc.Streams[0].ClientStreams {
		t.Errorf("streams %+v, want Observe, server streaming only", desc.Streams)
	}
}
