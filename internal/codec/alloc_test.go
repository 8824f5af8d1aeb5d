package codec_test

import (
	"testing"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
)

// Encoding a request allocates only the one-element BufferSlice gRPC takes:
// the buffer comes from gRPC's pool and goes back to it once written, the
// request is encoded from the builder's fields with no message in between.
func TestMarshalAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under -race")
	}
	r := kv.New().WithKey("alloc/key").WithValue("0123456789abcdef")
	got := testing.AllocsPerRun(200, func() {
		f, err := putFields(r, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		q := codec.Put{Fields: f}
		bs, err := codec.Codec{}.Marshal(&q)
		if err != nil {
			t.Fatal(err)
		}
		bs.Free()
	})
	t.Logf("%v allocations", got)
	if got > 2 { // the BufferSlice, and the request boxed into Marshal's argument
		t.Fatalf("%v allocations to encode a put, want at most 2", got)
	}
}
