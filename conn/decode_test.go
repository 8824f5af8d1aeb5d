package conn

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/fuzzbytes"
)

// respGen turns fuzz bytes into valid etcd responses.
type respGen struct{ fuzzbytes.Decoder }

func (g *respGen) bytes() []byte {
	s := g.Str(6)
	if s == "" && g.Byte()%2 == 0 {
		return nil
	}
	return []byte(s)
}

func (g *respGen) uint() uint64 { return uint64(g.Int()) }

func (g *respGen) header() *pb.ResponseHeader {
	if g.Byte()%4 == 0 {
		return nil
	}
	return &pb.ResponseHeader{ClusterId: g.uint(), MemberId: g.uint(), Revision: g.Int(), RaftTerm: g.uint()}
}

func (g *respGen) kv() *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: g.bytes(), Value: g.bytes(), CreateRevision: g.Int(), ModRevision: g.Int(), Version: g.Int(), Lease: g.Int()}
}

func (g *respGen) kvs() []*mvccpb.KeyValue {
	out := make([]*mvccpb.KeyValue, g.Byte()%5)
	for i := range out {
		out[i] = g.kv()
	}
	return out
}

func (g *respGen) rangeResp() *pb.RangeResponse {
	return &pb.RangeResponse{Header: g.header(), Kvs: g.kvs(), More: g.Byte()%2 == 1, Count: g.Int()}
}

func (g *respGen) putResp() *pb.PutResponse {
	r := &pb.PutResponse{Header: g.header()}
	if g.Byte()%2 == 1 {
		r.PrevKv = g.kv()
	}
	return r
}

func (g *respGen) deleteResp() *pb.DeleteRangeResponse {
	return &pb.DeleteRangeResponse{Header: g.header(), Deleted: g.Int(), PrevKvs: g.kvs()}
}

func (g *respGen) txnResp(depth int) *pb.TxnResponse {
	r := &pb.TxnResponse{Header: g.header(), Succeeded: g.Byte()%2 == 1}
	for range g.Byte() % 4 {
		o := &pb.ResponseOp{}
		switch g.Byte() % 6 {
		case 0:
			o.Response = &pb.ResponseOp_ResponseRange{ResponseRange: g.rangeResp()}
		case 1:
			o.Response = &pb.ResponseOp_ResponsePut{ResponsePut: g.putResp()}
		case 2:
			o.Response = &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: g.deleteResp()}
		case 3:
			if depth < 3 {
				o.Response = &pb.ResponseOp_ResponseTxn{ResponseTxn: g.txnResp(depth + 1)}
			}
		case 4:
			o.Response = &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{}}
		}
		r.Responses = append(r.Responses, o)
	}
	return r
}

// viaCodec runs b through the codec's Unmarshal, as gRPC does, into the
// decoder of kind.
func viaCodec[O any](b []byte, decode func([]byte) (O, error)) (O, error) {
	w := &wireResponse[O]{decode: decode}
	err := codec.Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, w)
	return w.out, err
}

// same decodes b both ways, generated messages plus conversion and the
// codec, and checks that they agree: the same result, or both an error.
func same[M proto.Message, O any](t testing.TB, b []byte, m M, convert func(M) O, decode func([]byte) (O, error)) {
	t.Helper()
	perr := proto.Unmarshal(b, m)
	got, err := viaCodec(b, decode)
	if perr != nil {
		if err == nil {
			t.Fatalf("protobuf rejects %x (%v), the codec accepts it", b, perr)
		}
		if !errors.Is(err, codec.ErrMalformed) {
			t.Fatalf("error %v does not match codec.ErrMalformed", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("protobuf reads %x, the codec fails: %v", b, err)
	}
	if d := cmp.Diff(convert(m), got); d != "" {
		t.Fatalf("results differ for %x (-generated +codec):\n%s", b, d)
	}
}

// sameAll checks b as each of the four responses.
func sameAll(t *testing.T, b []byte) {
	t.Helper()
	same(t, b, &pb.RangeResponse{}, getResponse, decodeGet)
	same(t, b, &pb.PutResponse{}, putResponse, decodePut)
	same(t, b, &pb.DeleteRangeResponse{}, deleteResponse, decodeDelete)
	same(t, b, &pb.TxnResponse{}, txnResponse, decodeTxn)
}

func marshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecode checks the decoders against the generated messages: valid
// responses built from the input (mode 0) and the input itself as the
// bytes of a response (mode 1), which covers unknown fields, repeated
// fields, fields of the wrong wire type and malformed bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 1, 5, 5, 3, 3, 3, 2, 1, 'k', 1, 'v', 1, 2, 3, 4})
	f.Add([]byte{0, 3, 1, 2, 1, 2, 3, 4, 1, 3, 2, 1, 0, 1, 'a', 1, 'b', 3, 4, 5, 6})
	f.Add(append([]byte{1}, marshal(f, benchTxn())...))
	f.Add(append([]byte{1}, marshal(f, benchRange())...))
	f.Add([]byte{1, 0x0a, 0x02, 0x08})                   // header cut short
	f.Add([]byte{1, 0x12, 0x03, 0x0a, 0x01, 'k', 0x98})  // a key-value, then half a tag
	f.Add([]byte{1, 0x0d, 1, 2, 3, 4, 0x1a, 0, 0x7b, 0}) // fixed32, an unknown group
	f.Add([]byte{1, 0x0a, 0x00, 0x0a, 0x02, 0x18, 0x05}) // header twice: merged
	// Key-values that leave the fast reads for the general loop midway: a
	// 10-byte varint (a negative lease), a length past the end, a
	// two-byte tag, a long key after a short one.
	f.Add([]byte{1, 0x12, 0x0f, 0x0a, 0x01, 'k', 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x20, 0x02})
	f.Add([]byte{1, 0x12, 0x05, 0x0a, 0x01, 'k', 0x2a, 0x09})
	f.Add([]byte{1, 0x12, 0x06, 0x10, 0x02, 0x88, 0x01, 0x05, 0x18})
	f.Add(append([]byte{1, 0x12, 0x86, 0x01, 0x0a, 0x01, 'a', 0x0a, 0x80, 0x01}, make([]byte, 128)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		if data[0]%2 == 1 {
			sameAll(t, data[1:])
			return
		}
		g := &respGen{fuzzbytes.Decoder{Data: data[1:]}}
		r, p, d, x := g.rangeResp(), g.putResp(), g.deleteResp(), g.txnResp(0)
		same(t, marshal(t, r), &pb.RangeResponse{}, getResponse, decodeGet)
		same(t, marshal(t, p), &pb.PutResponse{}, putResponse, decodePut)
		same(t, marshal(t, d), &pb.DeleteRangeResponse{}, deleteResponse, decodeDelete)
		same(t, marshal(t, x), &pb.TxnResponse{}, txnResponse, decodeTxn)
	})
}

// Malformed bytes give an error that names the problem, never a panic, and
// through a call an error that matches ErrMalformedResponse.
func TestDecodeMalformed(t *testing.T) {
	good := marshal(t, benchTxn())
	for i := range good { // every truncation of a valid answer
		b := good[:i]
		if proto.Unmarshal(b, &pb.TxnResponse{}) == nil {
			continue
		}
		_, err := decodeTxn(b)
		var me *codec.MalformedError
		if !errors.As(err, &me) || !errors.Is(err, codec.ErrMalformed) {
			t.Fatalf("truncated at %d: error %v is not a *codec.MalformedError", i, err)
		}
	}
	e := malformed(&Error{Method: MethodPut, Endpoint: "127.0.0.1:2379", Code: 13, Message: "grpc: failed to unmarshal", kind: ErrUnknown},
		&codec.MalformedError{Offset: 3, Reason: "unexpected EOF"}, true)
	if !errors.Is(e, ErrMalformedResponse) || !errors.Is(e, ErrUnknownOutcome) {
		t.Fatalf("error %v does not match ErrMalformedResponse and ErrUnknownOutcome", e)
	}
	if want := "conn: Put on 127.0.0.1:2379: codec: malformed response at byte 3: unexpected EOF; the write may or may not have been applied"; e.Error() != want {
		t.Fatalf("error text\n got %s\nwant %s", e, want)
	}
}

// Merging of repeated embedded messages, as protobuf does it, with a
// doctored decoder shown to fail the check.
func TestDecodeMerges(t *testing.T) {
	var b []byte
	for _, h := range []*pb.ResponseHeader{{ClusterId: 1, Revision: 5}, {MemberId: 2, Revision: 6}} {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, marshal(t, h))
	}
	got, err := decodeGet(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Header{ClusterID: 1, MemberID: 2, Revision: 6}); got.Header != want {
		t.Fatalf("header %+v, want %+v", got.Header, want)
	}
	sameAll(t, b)
	// A decoder that keeps only the last header is caught by the check.
	last := func(b []byte) (*GetResponse, error) {
		r, err := decodeGet(b)
		if err == nil {
			r.Header.ClusterID = 0
		}
		return r, err
	}
	ft := &fakeT{}
	func() {
		defer func() { _ = recover() }()
		same(ft, b, &pb.RangeResponse{}, getResponse, last)
	}()
	if !ft.failed {
		t.Fatal("a decoder that drops a merged field passed the check")
	}
}

// Keys and values alias the response's one buffer, each clipped to its
// length, so that an append never writes into its neighbour.
func TestDecodeAliases(t *testing.T) {
	b := marshal(t, benchRange())
	r, err := decodeGet(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, kv := range r.KVs {
		if cap(kv.Key) != len(kv.Key) || cap(kv.Value) != len(kv.Value) {
			t.Fatalf("kv %d: capacity beyond length", i)
		}
		if !within(b, kv.Key) || !within(b, kv.Value) {
			t.Fatalf("kv %d: key does not alias the buffer", i)
		}
	}
	next := string(r.KVs[1].Key)
	_ = append(r.KVs[0].Value, "overflow"...)
	if string(r.KVs[1].Key) != next {
		t.Fatal("an append to a value wrote into the next key")
	}
}

func within(buf, s []byte) bool {
	for i := range buf {
		if &buf[i] == &s[0] {
			return true
		}
	}
	return false
}

// One response, however many keys, costs the response, the slice of keys
// and (in the codec) the one copy of the bytes.
func TestDecodeAllocs(t *testing.T) {
	r := &pb.RangeResponse{Header: benchHeader(), Count: 1000}
	for i := range 1000 {
		r.Kvs = append(r.Kvs, &mvccpb.KeyValue{Key: fmt.Appendf(nil, "k/%04d", i), Value: []byte("v"), ModRevision: int64(i + 1)})
	}
	b := marshal(t, r)
	data := mem.BufferSlice{mem.SliceBuffer(b)}
	if n := testing.AllocsPerRun(20, func() {
		w := &wireResponse[*GetResponse]{decode: decodeGet}
		if err := (codec.Codec{}).Unmarshal(data, w); err != nil || len(w.out.KVs) != 1000 {
			t.Fatal(err)
		}
	}); n > 4 {
		t.Fatalf("%v allocations to decode 1,000 keys, want at most 4", n)
	}
}

// fakeT records a failure and stops the check, to show that it can fail.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}
