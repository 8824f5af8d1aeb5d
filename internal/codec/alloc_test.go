package codec_test

import (
	"testing"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
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

// casTxn is a compare-and-swap: one condition, one put.
func casTxn() op.Txn {
	return op.If(compare.Key("alloc/key").ModRevision(compare.Equal, 42)).
		Then(op.Put(kv.New().WithKey("alloc/key").WithValue("0123456789abcdef")))
}

// A transaction is validated into fields held in two slices (the
// conditions and the operations; a third for nested transactions) and
// encoded from them, with no message tree in between.
func TestMarshalTxnAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops buffers at random under -race")
	}
	txn := casTxn()
	encodeTxn := func() {
		f, err := txnFields(txn, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		q := codec.Txn{Fields: f}
		bs, err := codec.Codec{}.Marshal(&q)
		if err != nil {
			t.Fatal(err)
		}
		bs.Free()
	}
	got := testing.AllocsPerRun(200, encodeTxn)
	// The message the generated path sends, as the codec once took it.
	msg := testing.AllocsPerRun(200, func() {
		if _, err := txnWire(txn, wire.Alias); err != nil {
			t.Fatal(err)
		}
	})
	fields := testing.AllocsPerRun(200, func() {
		if _, err := txnFields(txn, wire.Alias); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("txn-cas: %v allocations to validate and encode; validating alone %v, the aliasing message compile %v", got, fields, msg)
	// The fields' two slices, the BufferSlice, the request boxed into
	// Marshal's argument.
	if got > 4 {
		t.Fatalf("%v allocations to encode a txn-cas, want at most 4", got)
	}
	if fields >= msg {
		t.Fatalf("validating into fields costs %v allocations, the message %v", fields, msg)
	}
}
