package conn

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// nestedTxn is the bytes of a transaction answer nested levels deep
// (TxnResponse in ResponseOp in TxnResponse ...), the innermost holding a
// header (leaf 0, at an odd depth), a range answer with a key (leaf 1,
// odd) or an empty range answer (leaf 2, even).
func nestedTxn(levels int, leaf int) []byte {
	var b []byte
	if leaf > 0 {
		var rng []byte
		if leaf == 1 {
			kv := protowire.AppendBytes(protowire.AppendTag(nil, kvKey, protowire.BytesType), []byte("k"))
			rng = protowire.AppendBytes(protowire.AppendTag(nil, rangeKVs, protowire.BytesType), kv)
		}
		b = protowire.AppendBytes(protowire.AppendTag(nil, respOpRange, protowire.BytesType), rng)
		b = protowire.AppendBytes(protowire.AppendTag(nil, txnResponses, protowire.BytesType), b)
	} else {
		h := protowire.AppendVarint(protowire.AppendTag(nil, hdrRevision, protowire.VarintType), 7)
		b = protowire.AppendBytes(protowire.AppendTag(nil, respHeader, protowire.BytesType), h)
	}
	return wrap(b, levels)
}

// wrap nests the transaction answer b levels more deep.
func wrap(b []byte, levels int) []byte {
	for range levels {
		op := protowire.AppendBytes(protowire.AppendTag(nil, respOpTxn, protowire.BytesType), b)
		b = protowire.AppendBytes(protowire.AppendTag(nil, txnResponses, protowire.BytesType), op)
	}
	return b
}

// Nesting is refused exactly where protobuf refuses it, so that no answer
// protobuf reads is refused and the decoder's recursion stays bounded.
func TestDecodeDepth(t *testing.T) {
	for leaf := range 3 {
		b := nestedTxn(4998, leaf)
		for levels := 4998; levels <= 5000; levels, b = levels+1, wrap(b, 1) {
			perr := proto.Unmarshal(b, &pb.TxnResponse{})
			_, err := decodeTxn(b)
			if (perr == nil) != (err == nil) {
				t.Fatalf("%d levels (leaf %d): protobuf %v, codec %v", levels, leaf, perr, err)
			}
		}
	}
}
