package lock

import (
	"errors"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/lockpb"
)

// A malformed answer of the Lock service is a typed error, never a panic:
// ErrBadResponse, and for Lock conn.ErrUnknownOutcome (the server may hold
// the lock).
func FuzzDecodeResponses(f *testing.F) {
	good, _ := lockpb.AppendLockResponse(nil, &pb.ResponseHeader{Revision: 3}, []byte("a/1"))
	f.Add(good)
	f.Add([]byte{0x80})
	f.Add([]byte{2 << 3, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := decodeLock(b); err != nil {
			if !errors.Is(err, ErrBadResponse) || !errors.Is(err, conn.ErrUnknownOutcome) || r != nil {
				t.Fatalf("lock: %v (%v)", err, r)
			}
		} else if r == nil {
			t.Fatal("lock: nil result without an error")
		}
		if r, err := decodeUnlock(b); err != nil {
			if !errors.Is(err, ErrBadResponse) || errors.Is(err, conn.ErrUnknownOutcome) || r != nil {
				t.Fatalf("unlock: %v (%v)", err, r)
			}
		} else if r == nil {
			t.Fatal("unlock: nil result without an error")
		}
	})
}

func TestDecodeResponses(t *testing.T) {
	good, _ := lockpb.AppendLockResponse(nil, &pb.ResponseHeader{Revision: 3, MemberId: 9}, []byte("a/1"))
	r, err := decodeLock(good)
	if err != nil || string(r.Key) != "a/1" || r.Header.Revision != 3 || r.Header.MemberID != 9 {
		t.Fatalf("decodeLock: %+v %v", r, err)
	}
	_, err = decodeLock([]byte{2<<3 | 2, 9})
	if !errors.Is(err, ErrBadResponse) || !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("truncated: %v", err)
	}
	if got := err.Error(); got != "lock: malformed response to /v3lockpb.Lock/Lock: malformed response: unexpected EOF; the server may hold the lock" {
		t.Errorf("text: %q", got)
	}
}
