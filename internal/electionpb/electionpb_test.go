package electionpb

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// Byte for byte against etcd's generated types is in the integration
// module (electiontest), which may import etcd's server module; these tests
// need nothing but this package and etcd's api module.

// leaderKeyBytes is LeaderKey{Name: "e", Key: "e/1", Rev: 5, Lease: -1},
// written out by hand from v3election.proto's field numbers: tag =
// field<<3 | wire type; -1 is ten varint bytes.
var leaderKeyBytes = []byte{
	1<<3 | 2, 1, 'e',
	2<<3 | 2, 3, 'e', '/', '1',
	3 << 3, 5,
	4 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
}

var leaderKey = &LeaderKey{Name: []byte("e"), Key: []byte("e/1"), Rev: 5, Lease: -1}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestRequestBytes(t *testing.T) {
	embedded := cat([]byte{1<<3 | 2, byte(len(leaderKeyBytes))}, leaderKeyBytes)
	for _, c := range []struct {
		what      string
		got, want []byte
	}{
		{"CampaignRequest", AppendCampaignRequest(nil, []byte("ab"), 300, []byte("v")),
			[]byte{1<<3 | 2, 2, 'a', 'b', 2 << 3, 0xac, 0x02, 3<<3 | 2, 1, 'v'}},
		{"empty CampaignRequest", AppendCampaignRequest(nil, nil, 0, []byte{}), nil},
		{"LeaderRequest", AppendLeaderRequest(nil, []byte("n")), []byte{1<<3 | 2, 1, 'n'}},
		{"empty LeaderRequest", AppendLeaderRequest(nil, nil), nil},
		{"LeaderKey", AppendLeaderKey(nil, leaderKey), leaderKeyBytes},
		{"empty LeaderKey", AppendLeaderKey(nil, &LeaderKey{}), nil},
		{"ResignRequest", AppendResignRequest(nil, leaderKey), embedded},
		{"ResignRequest, empty leader", AppendResignRequest(nil, &LeaderKey{}), []byte{1<<3 | 2, 0}},
		{"ResignRequest, no leader", AppendResignRequest(nil, nil), nil},
		{"ProclaimRequest", AppendProclaimRequest(nil, leaderKey, []byte("x")), cat(embedded, []byte{2<<3 | 2, 1, 'x'})},
		{"ProclaimRequest, no leader", AppendProclaimRequest(nil, nil, []byte("x")), []byte{2<<3 | 2, 1, 'x'}},
		// Appending keeps what b held.
		{"appended", AppendLeaderRequest([]byte{0xee}, []byte("n")), []byte{0xee, 1<<3 | 2, 1, 'n'}},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: got % x, want % x", c.what, c.got, c.want)
		}
	}
	// A long field's length is a varint of several bytes.
	long := bytes.Repeat([]byte("k"), 300)
	if got, want := AppendLeaderRequest(nil, long), cat([]byte{1<<3 | 2, 0xac, 0x02}, long); !bytes.Equal(got, want) {
		t.Errorf("LeaderRequest of 300 bytes: got % x..., want % x...", got[:4], want[:4])
	}
	long = AppendResignRequest(nil, &LeaderKey{Key: long})
	if !bytes.Equal(long[:5], []byte{1<<3 | 2, 0xaf, 0x02, 2<<3 | 2, 0xac}) {
		t.Errorf("ResignRequest with a key of 300 bytes starts % x", long[:5])
	}
}

// fieldOf encodes one length-delimited field.
func fieldOf(num protowire.Number, data []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, data)
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeLeaderKey(t *testing.T) {
	var k LeaderKey
	if err := DecodeLeaderKey(leaderKeyBytes, &k); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(leaderKey, &k); diff != "" {
		t.Errorf("LeaderKey (-want +got):\n%s", diff)
	}
	// Merging: a later scalar wins, fields absent from b stay.
	k = LeaderKey{Name: []byte("old"), Lease: 7}
	if err := DecodeLeaderKey([]byte{3 << 3, 1, 3 << 3, 2, 2<<3 | 2, 1, 'k'}, &k); err != nil {
		t.Fatal(err)
	}
	if want := (LeaderKey{Name: []byte("old"), Key: []byte("k"), Rev: 2, Lease: 7}); !cmp.Equal(want, k) {
		t.Errorf("merged LeaderKey %+v, want %+v", k, want)
	}
}

func TestDecodeResponses(t *testing.T) {
	h := &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: 30, RaftTerm: 4}
	kv := &mvccpb.KeyValue{Key: []byte("e/2a"), CreateRevision: 29, ModRevision: 30, Version: 2, Value: []byte("v"), Lease: 0x2a}
	hb, kb := marshal(t, h), marshal(t, kv)
	// Unknown fields of every wire type (field 100's tag takes two bytes).
	unknown := cat([]byte{15 << 3, 1}, fieldOf(100, []byte("x")),
		protowire.AppendFixed32(protowire.AppendTag(nil, 16, protowire.Fixed32Type), 7),
		protowire.AppendFixed64(protowire.AppendTag(nil, 17, protowire.Fixed64Type), 8),
		[]byte{14<<3 | 3, 1 << 3, 1, 14<<3 | 4}) // a group holding a varint
	cmpOpts := []cmp.Option{protocmp.Transform()}

	for _, c := range []struct {
		what string
		b    []byte
		want CampaignResponse
	}{
		{"empty", nil, CampaignResponse{}},
		{"typical", cat(fieldOf(1, hb), fieldOf(2, leaderKeyBytes)), CampaignResponse{Header: h, Leader: leaderKey}},
		{"fields in reverse order", cat(fieldOf(2, leaderKeyBytes), fieldOf(1, hb)), CampaignResponse{Header: h, Leader: leaderKey}},
		{"empty embedded", cat(fieldOf(1, nil), fieldOf(2, nil)), CampaignResponse{Header: &pb.ResponseHeader{}, Leader: &LeaderKey{}}},
		{"unknown fields", cat(unknown, fieldOf(1, hb), unknown), CampaignResponse{Header: h}},
		{"repeated header and leader merge", cat(fieldOf(1, hb), fieldOf(2, leaderKeyBytes), fieldOf(1, []byte{3 << 3, 31}), fieldOf(2, []byte{3 << 3, 6})),
			CampaignResponse{Header: &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: 31, RaftTerm: 4},
				Leader: &LeaderKey{Name: []byte("e"), Key: []byte("e/1"), Rev: 6, Lease: -1}}},
		{"known fields of another wire type", []byte{1 << 3, 1, 2 << 3, 2}, CampaignResponse{}},
	} {
		got, err := DecodeCampaignResponse(c.b)
		if err != nil {
			t.Errorf("CampaignResponse %s: %v", c.what, err)
		} else if diff := cmp.Diff(c.want, got, cmpOpts...); diff != "" {
			t.Errorf("CampaignResponse %s (-want +got):\n%s", c.what, diff)
		}
	}

	for _, c := range []struct {
		what string
		b    []byte
		want LeaderResponse
	}{
		{"empty", nil, LeaderResponse{}},
		{"typical", cat(fieldOf(1, hb), fieldOf(2, kb)), LeaderResponse{Header: h, KV: kv}},
		{"no leader", fieldOf(1, hb), LeaderResponse{Header: h}},
		{"empty embedded", cat(fieldOf(1, nil), fieldOf(2, nil)), LeaderResponse{Header: &pb.ResponseHeader{}, KV: &mvccpb.KeyValue{}}},
		{"unknown fields", cat(fieldOf(2, kb), unknown), LeaderResponse{KV: kv}},
		{"repeated kv merges", cat(fieldOf(2, kb), fieldOf(2, marshal(t, &mvccpb.KeyValue{Value: []byte("w")}))),
			LeaderResponse{KV: &mvccpb.KeyValue{Key: kv.Key, CreateRevision: 29, ModRevision: 30, Version: 2, Value: []byte("w"), Lease: 0x2a}}},
		{"known fields of another wire type", []byte{1 << 3, 1, 2 << 3, 2}, LeaderResponse{}},
	} {
		got, err := DecodeLeaderResponse(c.b)
		if err != nil {
			t.Errorf("LeaderResponse %s: %v", c.what, err)
		} else if diff := cmp.Diff(c.want, got, cmpOpts...); diff != "" {
			t.Errorf("LeaderResponse %s (-want +got):\n%s", c.what, diff)
		}
	}

	for _, c := range []struct {
		what string
		b    []byte
		want HeaderResponse
	}{
		{"empty", nil, HeaderResponse{}},
		{"typical", fieldOf(1, hb), HeaderResponse{Header: h}},
		{"unknown fields and a field 2", cat(unknown, fieldOf(2, leaderKeyBytes), fieldOf(1, hb)), HeaderResponse{Header: h}},
		{"repeated header merges", cat(fieldOf(1, hb), fieldOf(1, []byte{2 << 3, 9})),
			HeaderResponse{Header: &pb.ResponseHeader{ClusterId: 1, MemberId: 9, Revision: 30, RaftTerm: 4}}},
		{"header as a varint", []byte{1 << 3, 1}, HeaderResponse{}},
	} {
		got, err := DecodeHeaderResponse(c.b)
		if err != nil {
			t.Errorf("HeaderResponse %s: %v", c.what, err)
		} else if diff := cmp.Diff(c.want, got, cmpOpts...); diff != "" {
			t.Errorf("HeaderResponse %s (-want +got):\n%s", c.what, diff)
		}
	}
}

func TestMalformed(t *testing.T) {
	common := map[string][]byte{
		"truncated tag":         {0x80},
		"truncated varint":      {5 << 3, 0x80},
		"truncated bytes":       {2<<3 | 2, 5, 'a'},
		"truncated fixed32":     {9<<3 | 5, 1},
		"header not a message":  {1<<3 | 2, 2, 0xff, 0xff},
		"field number zero":     {0 << 3, 1},
		"field number too big":  {0x80, 0xff, 0xff, 0xff, 0x30, 0x30},
		"end group without one": {1<<3 | 4},
	}
	decoders := map[string]func([]byte) error{
		"CampaignResponse": func(b []byte) error { _, err := DecodeCampaignResponse(b); return err },
		"LeaderResponse":   func(b []byte) error { _, err := DecodeLeaderResponse(b); return err },
		"HeaderResponse":   func(b []byte) error { _, err := DecodeHeaderResponse(b); return err },
		"LeaderKey":        func(b []byte) error { return DecodeLeaderKey(b, &LeaderKey{}) },
	}
	for dn, decode := range decoders {
		for name, b := range common {
			if dn == "LeaderKey" && name == "header not a message" {
				continue // field 1 of a LeaderKey is bytes, not a message
			}
			if err := decode(b); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s, %s: got %v, want ErrMalformed", dn, name, err)
			}
		}
	}
	// Embedded messages are checked too.
	if _, err := DecodeCampaignResponse(fieldOf(2, []byte{3 << 3})); !errors.Is(err, ErrMalformed) {
		t.Errorf("CampaignResponse, leader with a truncated rev: got %v, want ErrMalformed", err)
	}
	if _, err := DecodeLeaderResponse(fieldOf(2, []byte{0xff, 0xff})); !errors.Is(err, ErrMalformed) {
		t.Errorf("LeaderResponse, kv not a message: got %v, want ErrMalformed", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(leaderKeyBytes)
	f.Add(cat(fieldOf(1, []byte{3 << 3, 9}), fieldOf(2, leaderKeyBytes)))
	f.Add([]byte{0x80})
	f.Add([]byte{1<<3 | 2, 2, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var k LeaderKey
		if err := DecodeLeaderKey(b, &k); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("LeaderKey: untyped error %v", err)
			}
		} else {
			// What decodes re-encodes to something that decodes the same.
			var again LeaderKey
			if err := DecodeLeaderKey(AppendLeaderKey(nil, &k), &again); err != nil || !cmp.Equal(normal(k), normal(again)) {
				t.Fatalf("LeaderKey re-encoded: %+v, was %+v (%v)", again, k, err)
			}
		}
		cr, err := DecodeCampaignResponse(b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("CampaignResponse: untyped error %v", err)
		}
		if err == nil && cr.Leader != nil {
			// The leader travels back in Resign and Proclaim requests.
			var k2 LeaderKey
			rr := AppendResignRequest(nil, cr.Leader)
			_, _, n := protowire.ConsumeTag(rr)
			inner, m := protowire.ConsumeBytes(rr[n:])
			if m < 0 || DecodeLeaderKey(inner, &k2) != nil || !cmp.Equal(normal(*cr.Leader), normal(k2)) {
				t.Fatalf("leader %+v through a ResignRequest: %+v", cr.Leader, k2)
			}
		}
		if _, err := DecodeLeaderResponse(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("LeaderResponse: untyped error %v", err)
		}
		if _, err := DecodeHeaderResponse(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("HeaderResponse: untyped error %v", err)
		}
	})
}

// normal makes empty and nil byte fields equal, as they are on the wire.
func normal(k LeaderKey) LeaderKey {
	if len(k.Name) == 0 {
		k.Name = nil
	}
	if len(k.Key) == 0 {
		k.Key = nil
	}
	return k
}
