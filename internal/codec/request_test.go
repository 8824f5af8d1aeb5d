package codec_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
)

// The builders' validated fields and aliasing compile, which the
// connection gives the codec.
var (
	rangeFields  = wire.RangeOf.(func(kv.Request, wire.Mode) (wire.RangeFields, error))
	putFields    = wire.PutOf.(func(kv.Request, wire.Mode) (wire.PutFields, error))
	deleteFields = wire.DeleteOf.(func(kv.Request, wire.Mode) (wire.DeleteFields, error))
	txnWire      = wire.Txn.(func(op.Txn, wire.Mode) (*pb.TxnRequest, error))
	txnFields    = wire.TxnOf.(func(op.Txn, wire.Mode) (wire.TxnFields, error))
)

// encode runs the codec on a request as gRPC does.
func encode(t testing.TB, r codec.Message) []byte {
	t.Helper()
	n := r.WireSize()
	bs, err := codec.Codec{}.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Free()
	b := bs.Materialize()
	if len(b) != n || r.WireSize() != n {
		t.Fatalf("sized %d bytes, encoded %d (size now %d)", n, len(b), r.WireSize())
	}
	return b
}

// checkSame says that the codec's bytes for the request decode, with
// etcd's generated messages, to exactly the public compile's message, and
// are the very bytes protobuf's deterministic marshalling gives.
func checkSame(t testing.TB, want proto.Message, r codec.Message) {
	t.Helper()
	b := encode(t, r)
	got := want.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("generated messages cannot read the codec's bytes: %v", err)
	}
	if !proto.Equal(want, got) {
		t.Fatalf("codec's bytes decode to another message:\n%s", cmp.Diff(want, got, protocmp.Transform()))
	}
	ref, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ref, b) {
		t.Fatalf("codec's bytes differ from protobuf's:\n codec %x\nproto %x", b, ref)
	}
}

// differential checks every message the request and the transaction
// compile to.
func differential(t testing.TB, r kv.Request, txn op.Txn) {
	if want, err := r.RangeRequest(); err == nil {
		f, err := rangeFields(r, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, want, &codec.Range{Fields: f})
	}
	if want, err := r.PutRequest(); err == nil {
		f, err := putFields(r, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, want, &codec.Put{Fields: f})
	}
	if want, err := r.DeleteRequest(); err == nil {
		f, err := deleteFields(r, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, want, &codec.Delete{Fields: f})
	}
	want, err := txn.Compile()
	f, ferr := txnFields(txn, wire.Alias)
	if (err == nil) != (ferr == nil) || (err != nil && err.Error() != ferr.Error()) {
		t.Fatalf("the message compile says %v, the fields %v", err, ferr)
	}
	if err == nil {
		// The generated-message path sends the aliasing compile.
		m, err := txnWire(txn, wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(want, m) {
			t.Fatalf("the aliasing compile differs:\n%s", cmp.Diff(want, m, protocmp.Transform()))
		}
		checkSame(t, want, &codec.Txn{Fields: f})
	}
}

func TestRequests(t *testing.T) {
	big := string(bytes.Repeat([]byte("v"), 3000)) // past gRPC's pooling threshold
	reqs := []kv.Request{
		kv.New().WithKey("k"),
		kv.New().WithKey("k").WithValue("v").WithLease(7).WithPrevKV(),
		kv.New().WithKey("k").WithValue(big),
		kv.New().WithKey("k").WithIgnoreValue().WithIgnoreLease(),
		kv.New().WithKey("a\xff").WithPrefix().WithSort(kv.SortByMod, kv.SortDescend).WithLimit(10).WithRev(99),
		kv.New().WithAll().WithCountOnly().WithSerializable().WithKeysOnly(),
		kv.New().WithKey("k").WithFromKey().WithMinModRev(1).WithMaxModRev(1 << 40).WithMinCreateRev(2).WithMaxCreateRev(3),
		kv.New().WithKey("k").WithRangeEnd("z").WithPrevKV(),
		kv.New().WithKey("k").WithLimit(1 << 62),
	}
	txns := []op.Txn{
		op.NewTxn(),
		op.If(compare.Key("k").ModRevision(compare.Equal, 0)).Then(op.Put(kv.New().WithKey("k").WithValue("v"))),
		op.If(compare.Key("k").Version(compare.Greater, 3), compare.Prefix("p").CreateRevision(compare.Less, 9),
			compare.Key("k").Value(compare.NotEqual, ""), compare.FromKey("f").Lease(compare.Equal, 5),
			compare.Range("a", "b").Value(compare.Equal, big)).
			Then(op.Get(kv.New().WithKey("k").WithPrefix()), op.Delete(kv.New().WithKey("d").WithPrevKV())).
			Else(op.Nested(op.If(compare.Missing("m")).Then(op.Put(kv.New().WithKey("m"))).
				Else(op.Nested(op.NewTxn().Then(op.Get(kv.New().WithKey("x"))))))),
	}
	for _, r := range reqs {
		differential(t, r, op.NewTxn().Then(op.Get(r), op.Put(r), op.Delete(r)))
	}
	for i, txn := range txns {
		if _, err := txn.Compile(); err != nil {
			t.Fatalf("txns[%d] is invalid, so checks nothing: %v", i, err)
		}
		differential(t, kv.New(), txn)
	}
}

// A doctored encoder is caught: the check compares with protobuf's own
// view of the message, not with the codec's.
func TestDifferentialCatchesADifference(t *testing.T) {
	want, _ := kv.New().WithKey("k").WithValue("v").PutRequest()
	other, _ := putFields(kv.New().WithKey("k").WithValue("w"), wire.Alias)
	ft := &fakeT{}
	func() {
		defer func() { _ = recover() }()
		checkSame(ft, want, &codec.Put{Fields: other})
	}()
	if !ft.failed {
		t.Fatal("a message encoded from another request passed the check")
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatal(...any) {
	f.failed = true
	panic("fatal")
}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}

func FuzzRequest(f *testing.F) {
	f.Add([]byte{0, 1, 'k', 2, 1, 'v'})
	f.Add([]byte{0, 1, 'k', 3, 9, 1, 1, 7, 5, 8, 3})
	f.Add([]byte{1, 0, 2, 0, 1, 'k', 1, 3, 4, 1, 2, 1, 1, 'k', 25, 3, 0, 2, 0, 1, 'x', 1, 2})
	f.Add([]byte{1, 1, 2, 4, 0, 0, 1, 'a', 25, 4, 2, 1, 0, 3, 0, 1, 'b', 25})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		g := &gen{fuzzbytes.Decoder{Data: data[1:]}}
		if data[0]%2 == 0 {
			differential(t, g.request(), op.NewTxn())
		} else {
			differential(t, kv.New(), g.txn(0))
		}
	})
}

// Marshal refuses what it cannot encode instead of panicking, and Unmarshal
// what it cannot fill.
func TestWrongTypes(t *testing.T) {
	if _, err := (codec.Codec{}).Marshal(&pb.CompactionRequest{}); err == nil {
		t.Fatal("Marshal accepted a message the codec does not encode")
	}
	if err := (codec.Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer{1}}, &pb.RangeResponse{}); err == nil {
		t.Fatal("Unmarshal accepted a target that is not an Unmarshaler")
	}
	var r codec.Txn // no message: nothing written
	if r.WireSize() != 0 || len(r.AppendWire(nil)) != 0 {
		t.Fatal("an empty Txn encodes to something")
	}
}

// The field numbers the codec writes are etcd's.
func TestFieldNumbers(t *testing.T) {
	for _, c := range []struct {
		m      proto.Message
		fields map[string]int
	}{
		{&pb.RangeRequest{}, map[string]int{"key": 1, "range_end": 2, "limit": 3, "revision": 4, "sort_order": 5, "sort_target": 6,
			"serializable": 7, "keys_only": 8, "count_only": 9, "min_mod_revision": 10, "max_mod_revision": 11, "min_create_revision": 12, "max_create_revision": 13}},
		{&pb.PutRequest{}, map[string]int{"key": 1, "value": 2, "lease": 3, "prev_kv": 4, "ignore_value": 5, "ignore_lease": 6}},
		{&pb.DeleteRangeRequest{}, map[string]int{"key": 1, "range_end": 2, "prev_kv": 3}},
		{&pb.RequestOp{}, map[string]int{"request_range": 1, "request_put": 2, "request_delete_range": 3, "request_txn": 4}},
		{&pb.TxnRequest{}, map[string]int{"compare": 1, "success": 2, "failure": 3}},
		{&pb.Compare{}, map[string]int{"result": 1, "target": 2, "key": 3, "version": 4, "create_revision": 5, "mod_revision": 6, "value": 7, "lease": 8, "range_end": 64}},
	} {
		fs := c.m.ProtoReflect().Descriptor().Fields()
		if fs.Len() != len(c.fields) {
			t.Errorf("%T has %d fields, the codec knows %d", c.m, fs.Len(), len(c.fields))
		}
		for name, num := range c.fields {
			f := fs.ByName(protoreflectName(name))
			if f == nil || int(f.Number()) != num {
				t.Errorf("%T.%s: the codec writes field %d, etcd's is %v", c.m, name, num, f)
			}
		}
	}
}
