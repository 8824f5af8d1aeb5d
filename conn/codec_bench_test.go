package conn

import (
	"fmt"
	"strings"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // gRPC's proto codec, registered
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/op"
)

// codecCase is one request and its answer, for the in-process comparison
// of what a call costs the client around gRPC's transport: encoding the
// request and decoding the answer into what the caller gets.
type codecCase struct {
	name string
	req  kv.Request
	txn  *op.Txn
	resp proto.Message // the answer as etcd sends it
}

func benchKVs(n int) []*mvccpb.KeyValue {
	out := make([]*mvccpb.KeyValue, n)
	for i := range out {
		out[i] = &mvccpb.KeyValue{Key: fmt.Appendf(nil, "getcd-bench/12345-abcdefgh/get-prefix/%04d", i), Value: []byte("0123456789abcdef"),
			CreateRevision: int64(1000 + i), ModRevision: int64(120000 + i), Version: 1}
	}
	return out
}

func codecCases() []codecCase {
	h := benchHeader()
	key := "getcd-bench/12345-abcdefgh/put/7"
	cas := op.If(compare.Key(key).ModRevision(compare.Equal, 123455)).Then(op.Put(kv.New().WithKey(key).WithValue("0123456789abcdef")))
	cs := []codecCase{
		{name: "put-16B", req: kv.New().WithKey(key).WithValue("0123456789abcdef"), resp: &pb.PutResponse{Header: h}},
		{name: "put-4KiB", req: kv.New().WithKey(key).WithValue(strings.Repeat("0123456789abcdef", 256)), resp: &pb.PutResponse{Header: h}},
		{name: "get-1", req: kv.New().WithKey(key), resp: &pb.RangeResponse{Header: h, Kvs: benchKVs(1), Count: 1}},
		{name: "txn-cas", txn: &cas, resp: &pb.TxnResponse{Header: h, Succeeded: true, Responses: []*pb.ResponseOp{
			{Response: &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{Header: h}}}}}},
	}
	for _, n := range []int{10, 100, 1000} {
		cs = append(cs, codecCase{name: fmt.Sprintf("get-prefix-%d", n), req: kv.New().WithKey("getcd-bench/12345-abcdefgh/get-prefix/").WithPrefix(),
			resp: &pb.RangeResponse{Header: h, Kvs: benchKVs(n), Count: int64(n)}})
	}
	return cs
}

// compile is the builders' aliasing compile of the case, as conn does it
// on etcd's generated messages.
func (c codecCase) compile() (proto.Message, error) {
	if c.txn != nil {
		return txnWire(*c.txn, true)
	}
	switch c.resp.(type) {
	case *pb.PutResponse:
		return putWire(c.req, true)
	}
	return rangeWire(c.req, true)
}

// request is the case as conn gives it to the codec.
func (c codecCase) request() (codec.Message, error) {
	if c.txn != nil {
		f, err := txnFields(*c.txn, true)
		return &codec.Txn{Fields: f}, err
	}
	switch c.resp.(type) {
	case *pb.PutResponse:
		f, err := putFields(c.req, true)
		return &codec.Put{Fields: f}, err
	}
	f, err := rangeFields(c.req, true)
	return &codec.Range{Fields: f}, err
}

// BenchmarkCodec compares, per call, the client's own work on both sides of
// the transport: codec (getcd's codec: encode from the aliasing compile,
// decode straight into the result), generated (getcd on etcd's generated
// messages: gRPC's proto codec, then the conversion) and raw (a prebuilt
// message through gRPC's proto codec, the answer left as a generated
// message, as a raw stub call leaves it).
func BenchmarkCodec(b *testing.B) {
	protoCodec := encoding.GetCodecV2("proto")
	for _, c := range codecCases() {
		wireBytes, err := proto.Marshal(c.resp)
		if err != nil {
			b.Fatal(err)
		}
		in := mem.BufferSlice{mem.SliceBuffer(wireBytes)}
		b.Run(c.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := c.request()
				if err != nil {
					b.Fatal(err)
				}
				out, err := codec.Codec{}.Marshal(r)
				if err != nil {
					b.Fatal(err)
				}
				out.Free()
				if err := decodeInto(c.resp, in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/generated", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := c.compile()
				if err != nil {
					b.Fatal(err)
				}
				out, err := protoCodec.Marshal(m)
				if err != nil {
					b.Fatal(err)
				}
				out.Free()
				resp := c.resp.ProtoReflect().New().Interface()
				if err := protoCodec.Unmarshal(in, resp); err != nil {
					b.Fatal(err)
				}
				convert(resp)
			}
		})
		b.Run(c.name+"/raw", func(b *testing.B) {
			m, err := c.compile()
			if err != nil {
				b.Fatal(err)
			}
			m = proto.Clone(m) // a message of its own, built once
			b.ReportAllocs()
			for b.Loop() {
				out, err := protoCodec.Marshal(m)
				if err != nil {
					b.Fatal(err)
				}
				out.Free()
				resp := c.resp.ProtoReflect().New().Interface()
				if err := protoCodec.Unmarshal(in, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var sinkAny any

// decodeInto decodes in with the codec into the result type of resp's kind.
func decodeInto(resp proto.Message, in mem.BufferSlice) error {
	switch resp.(type) {
	case *pb.PutResponse:
		w := &wireResponse[*PutResponse]{decode: decodePut}
		sinkAny = w
		return codec.Codec{}.Unmarshal(in, w)
	case *pb.TxnResponse:
		w := &wireResponse[*TxnResponse]{decode: decodeTxn}
		sinkAny = w
		return codec.Codec{}.Unmarshal(in, w)
	}
	w := &wireResponse[*GetResponse]{decode: decodeGet}
	sinkAny = w
	return codec.Codec{}.Unmarshal(in, w)
}

func convert(m proto.Message) {
	switch m := m.(type) {
	case *pb.PutResponse:
		sinkAny = putResponse(m)
	case *pb.TxnResponse:
		sinkAny = txnResponse(m)
	case *pb.RangeResponse:
		sinkAny = getResponse(m)
	}
}
