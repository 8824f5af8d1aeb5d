package locktest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3lock/v3lockpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/internal/lockpb"
	"github.com/getcd/getcd/lock"
)

var headers = []*pb.ResponseHeader{
	nil,
	{},
	{ClusterId: 1, MemberId: 2, Revision: 3, RaftTerm: 4},
	{ClusterId: ^uint64(0), MemberId: 1 << 63, Revision: 1<<63 - 1, RaftTerm: ^uint64(0)},
}

var names = [][]byte{nil, {}, []byte("a"), []byte("locks/report"), []byte("\x00\xff/ünï"), bytes.Repeat([]byte("k"), 300)}

var leases = []int64{0, 1, 0x694d7a1b2c3d4e5f, -1, 1<<63 - 1, -1 << 63}

// deterministic marshals etcd's generated message as getcd encodes: fields
// in number order, zero values left out.
func deterministic(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// getcd's encodings are byte for byte those of etcd's generated types, and
// each side decodes the other's.
func TestWireRequests(t *testing.T) {
	for _, name := range names {
		for _, id := range leases {
			ours := lockpb.AppendLockRequest(nil, name, id)
			theirs := deterministic(t, &v3lockpb.LockRequest{Name: name, Lease: id})
			if !bytes.Equal(ours, theirs) {
				t.Errorf("LockRequest{%q, %d}: ours % x, etcd's % x", name, id, ours, theirs)
			}
			var got v3lockpb.LockRequest
			if err := proto.Unmarshal(ours, &got); err != nil || !bytes.Equal(got.Name, name) || got.Lease != id {
				t.Errorf("etcd decodes our LockRequest{%q, %d} as {%q, %d}: %v", name, id, got.Name, got.Lease, err)
			}
			n, l, err := lockpb.DecodeLockRequest(theirs)
			if err != nil || !bytes.Equal(n, name) || l != id {
				t.Errorf("we decode etcd's LockRequest{%q, %d} as {%q, %d}: %v", name, id, n, l, err)
			}
		}
		ours := lockpb.AppendUnlockRequest(nil, name)
		theirs := deterministic(t, &v3lockpb.UnlockRequest{Key: name})
		if !bytes.Equal(ours, theirs) {
			t.Errorf("UnlockRequest{%q}: ours % x, etcd's % x", name, ours, theirs)
		}
		var got v3lockpb.UnlockRequest
		if err := proto.Unmarshal(ours, &got); err != nil || !bytes.Equal(got.Key, name) {
			t.Errorf("etcd decodes our UnlockRequest{%q} as {%q}: %v", name, got.Key, err)
		}
	}
}

// TestMethodNames checks the method names getcd calls against etcd's
// service descriptor: a misspelt name would fail only at run time, with
// Unimplemented.
func TestMethodNames(t *testing.T) {
	want := map[string]string{"Lock": lock.MethodLock, "Unlock": lock.MethodUnlock}
	if lockpb.MethodLock != lock.MethodLock || lockpb.MethodUnlock != lock.MethodUnlock {
		t.Errorf("lockpb calls %q and %q, lock exports %q and %q",
			lockpb.MethodLock, lockpb.MethodUnlock, lock.MethodLock, lock.MethodUnlock)
	}
	desc := v3lockpb.Lock_ServiceDesc
	etcdtest.CheckUnaryMethods(t, desc, want)
	if len(desc.Streams) != 0 {
		t.Errorf("etcd's Lock service has streams %+v, getcd calls none", desc.Streams)
	}
}

func TestWireResponses(t *testing.T) {
	for _, h := range headers {
		for _, key := range names {
			theirs := deterministic(t, &v3lockpb.LockResponse{Header: h, Key: key})
			ours, err := lockpb.AppendLockResponse(nil, h, key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, theirs) {
				t.Errorf("LockResponse{%v, %q}: ours % x, etcd's % x", h, key, ours, theirs)
			}
			got, err := lockpb.DecodeLockResponse(theirs)
			if err != nil {
				t.Fatalf("decode etcd's LockResponse{%v, %q}: %v", h, key, err)
			}
			if diff := cmp.Diff(h, got.Header, protocmp.Transform()); diff != "" || !bytes.Equal(got.Key, key) {
				t.Errorf("decode etcd's LockResponse: key %q want %q; header (-want +got):\n%s", got.Key, key, diff)
			}
		}
		theirs := deterministic(t, &v3lockpb.UnlockResponse{Header: h})
		ours, err := lockpb.AppendUnlockResponse(nil, h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("UnlockResponse{%v}: ours % x, etcd's % x", h, ours, theirs)
		}
		got, err := lockpb.DecodeUnlockResponse(theirs)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(h, got.Header, protocmp.Transform()); diff != "" {
			t.Errorf("decode etcd's UnlockResponse: header (-want +got):\n%s", diff)
		}
	}
}

// Whatever bytes etcd's generated code accepts as a LockResponse, getcd
// decodes to the same header and key; whatever it refuses, getcd refuses
// with ErrMalformed (getcd may also refuse a header of absurd size). And
// getcd's request encodings always decode, in etcd's code, to what was
// encoded.
func FuzzWire(f *testing.F) {
	seed, _ := lockpb.AppendLockResponse(nil, &pb.ResponseHeader{Revision: 5, MemberId: 7}, []byte("a/1"))
	f.Add(seed, []byte("name"), int64(9))
	f.Add([]byte{0x80}, []byte{}, int64(-1))
	f.Add([]byte{2 << 3, 1}, []byte("\xff"), int64(0))
	f.Fuzz(func(t *testing.T, resp, name []byte, id int64) {
		var want v3lockpb.LockResponse
		theirErr := proto.Unmarshal(resp, &want)
		got, ourErr := lockpb.DecodeLockResponse(resp)
		switch {
		case theirErr == nil && ourErr == nil:
			if diff := cmp.Diff(want.Header, got.Header, protocmp.Transform()); diff != "" || !bytes.Equal(want.Key, got.Key) {
				t.Fatalf("decodes differ on % x: key %q vs %q; header (-etcd +getcd):\n%s", resp, want.Key, got.Key, diff)
			}
		case ourErr != nil && !errors.Is(ourErr, lockpb.ErrMalformed):
			t.Fatalf("untyped error on % x: %v", resp, ourErr)
		case theirErr != nil && ourErr == nil:
			t.Fatalf("etcd refuses % x (%v), getcd accepts it: %+v", resp, theirErr, got)
		case theirErr == nil && ourErr != nil && len(resp) < 1<<10:
			t.Fatalf("etcd accepts % x, getcd refuses it: %v", resp, ourErr)
		}

		var req v3lockpb.LockRequest
		if err := proto.Unmarshal(lockpb.AppendLockRequest(nil, name, id), &req); err != nil || !bytes.Equal(req.Name, name) || req.Lease != id {
			t.Fatalf("LockRequest{%q, %d} decodes as {%q, %d}: %v", name, id, req.Name, req.Lease, err)
		}
	})
}
