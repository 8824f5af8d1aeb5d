package lockpb

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// The encodings below are written out by hand from v3lock.proto's field
// numbers: tag = field<<3 | wire type.
func TestRequestBytes(t *testing.T) {
	got := AppendLockRequest(nil, []byte("ab"), 300)
	want := []byte{1<<3 | 2, 2, 'a', 'b', 2 << 3, 0xac, 0x02}
	if !bytes.Equal(got, want) {
		t.Errorf("LockRequest: got % x, want % x", got, want)
	}
	if got := AppendLockRequest(nil, nil, 0); len(got) != 0 {
		t.Errorf("empty LockRequest: got % x, want nothing", got)
	}
	got = AppendUnlockRequest(nil, []byte("k/1"))
	want = []byte{1<<3 | 2, 3, 'k', '/', '1'}
	if !bytes.Equal(got, want) {
		t.Errorf("UnlockRequest: got % x, want % x", got, want)
	}
	name, lease, err := DecodeLockRequest(AppendLockRequest(nil, []byte("n"), -1))
	if err != nil || string(name) != "n" || lease != -1 {
		t.Errorf("DecodeLockRequest: %q %d %v", name, lease, err)
	}
	key, err := DecodeUnlockRequest(AppendUnlockRequest(nil, []byte("k")))
	if err != nil || string(key) != "k" {
		t.Errorf("DecodeUnlockRequest: %q %v", key, err)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	h := &pb.ResponseHeader{ClusterId: 1, MemberId: 2, Revision: 3, RaftTerm: 4}
	b, err := AppendLockResponse(nil, h, []byte("locks/a/694d"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeLockResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, r.Header, protocmp.Transform()); diff != "" || string(r.Key) != "locks/a/694d" {
		t.Errorf("LockResponse: key %q, header diff (-want +got):\n%s", r.Key, diff)
	}
	b, err = AppendUnlockResponse(nil, h)
	if err != nil {
		t.Fatal(err)
	}
	u, err := DecodeUnlockResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, u.Header, protocmp.Transform()); diff != "" {
		t.Errorf("UnlockResponse header diff (-want +got):\n%s", diff)
	}
	// Unknown fields are skipped; a repeated header is merged.
	extra := append(append([]byte{9 << 3, 1}, b...), []byte{1<<3 | 2, 2, 3 << 3, 7}...)
	u, err = DecodeUnlockResponse(extra)
	if err != nil || u.Header.GetRevision() != 7 || u.Header.GetMemberId() != 2 {
		t.Errorf("merge: %v %v", u.Header, err)
	}
}

func TestMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated tag":         {0x80},
		"truncated bytes":       {2<<3 | 2, 5, 'a'},
		"header not a message":  {1<<3 | 2, 2, 0xff, 0xff},
		"field number zero":     {0 << 3, 1},
		"field number too big":  {0x80, 0xff, 0xff, 0xff, 0x30, 0x30},
		"end group without one": {1<<3 | 4},
	} {
		if _, err := DecodeLockResponse(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := DecodeUnlockResponse([]byte{1<<3 | 5, 1}); !errors.Is(err, ErrMalformed) {
		t.Errorf("unlock header truncated fixed32: got %v, want ErrMalformed", err)
	}
	// A known field of another wire type is an unknown field, as the
	// generated code treats it: skipped.
	r, err := DecodeLockResponse([]byte{2 << 3, 1, 1 << 3, 1})
	if err != nil || r.Key != nil || r.Header != nil {
		t.Errorf("key and header as varints: %+v %v, want both skipped", r, err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := AppendLockResponse(nil, &pb.ResponseHeader{Revision: 9}, []byte("k"))
	f.Add(b)
	f.Add([]byte{0x80})
	f.Add([]byte{1<<3 | 2, 2, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		lr, err := DecodeLockResponse(b)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("lock: untyped error %v", err)
		}
		if err == nil {
			// What decodes re-encodes to something that decodes the same.
			again, err := AppendLockResponse(nil, lr.Header, lr.Key)
			if err != nil {
				t.Fatal(err)
			}
			lr2, err := DecodeLockResponse(again)
			if err != nil || !bytes.Equal(lr.Key, lr2.Key) || !proto.Equal(lr.Header, lr2.Header) {
				t.Fatalf("re-encoding differs: %v %v / %v %v (%v)", lr.Key, lr.Header, lr2.Key, lr2.Header, err)
			}
		}
		if _, err := DecodeUnlockResponse(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("unlock: untyped error %v", err)
		}
	})
}
