package rawpb_test

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/internal/lockpb"
	"github.com/getcd/getcd/internal/rawpb"
)

func TestMessageCarriesBytes(t *testing.T) {
	b := lockpb.AppendLockRequest(nil, []byte("x"), 5)
	wire, err := proto.Marshal(rawpb.Message(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wire, b) {
		t.Fatalf("marshalled % x, want % x", wire, b)
	}
	m := rawpb.NewResponse()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rawpb.Bytes(m), b) {
		t.Fatalf("received % x, want % x", rawpb.Bytes(m), b)
	}
}
