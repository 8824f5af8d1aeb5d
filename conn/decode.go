package conn

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/op"
)

// The decoders below turn the wire bytes of etcd's key-value responses
// straight into getcd's results, with what proto.Unmarshal followed by the
// conversions of result.go would give (checked by the differential tests):
// proto3 defaults for absent fields, the last value of a repeated scalar,
// embedded messages merged when repeated, repeated messages appended, the
// oneof member of a ResponseOp replaced when another one follows, unknown
// fields and fields of an unexpected wire type skipped. Keys and values
// alias b, the one copy of the response the codec made; nothing else
// refers to it.

// Field numbers of etcd's rpc.proto and kv.proto (etcdserverpb, mvccpb).
const (
	hdrClusterID, hdrMemberID, hdrRevision, hdrRaftTerm = 1, 2, 3, 4

	kvKey, kvCreate, kvMod, kvVersion, kvValue, kvLease = 1, 2, 3, 4, 5, 6

	// One-byte tags (field number << 3 | wire type) of the fields the
	// decoders read without the general Reader.Next.
	tagKVKey, tagKVValue                            = kvKey<<3 | 2, kvValue<<3 | 2
	tagKVCreate, tagKVMod, tagKVVersion, tagKVLease = kvCreate << 3, kvMod << 3, kvVersion << 3, kvLease << 3
	tagRangeKVs, tagDeletePrevKVs, tagTxnResponses  = rangeKVs<<3 | 2, deletePrevKVs<<3 | 2, txnResponses<<3 | 2

	respHeader                                      = 1
	rangeKVs, rangeMore, rangeCount                 = 2, 3, 4
	putPrevKV                                       = 2
	deleteDeleted, deletePrevKVs                    = 2, 3
	txnSucceeded, txnResponses                      = 2, 3
	respOpRange, respOpPut, respOpDelete, respOpTxn = 1, 2, 3, 4
)

func decodeHeader(h *Header, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	r := codec.NewReader(b)
	for {
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		if f.Type != protowire.VarintType {
			continue
		}
		switch f.Num {
		case hdrClusterID:
			h.ClusterID = f.V
		case hdrMemberID:
			h.MemberID = f.V
		case hdrRevision:
			h.Revision = int64(f.V)
		case hdrRaftTerm:
			h.RaftTerm = f.V
		}
	}
}

func decodeKeyValue(kv *KeyValue, b []byte, depth int) error {
	if depth >= codec.MaxDepth {
		return codec.Depth(depth)
	}
	// etcd writes the fields in their numbers' order (key, create, mod,
	// version, value, lease), leaving out those at zero: read them in that
	// order first, one comparison each, keys and values under 128 bytes and
	// versions under 128 inline. What is left (another order, a repeated
	// field, a longer key) goes through the loop below, which reads the
	// same fields in any order; anything else (another field or wire type,
	// a long varint, bad bytes) goes to the general loop from where it
	// starts.
	i := 0
	if i+1 < len(b) && b[i] == tagKVKey {
		if l := int(b[i+1]); l < 0x80 && l <= len(b)-i-2 {
			end := i + 2 + l
			kv.Key, i = b[i+2:end:end], end
		}
	}
	if i < len(b) && b[i] == tagKVCreate {
		if v, e := codec.VarintAt(b, i+1); e > 0 {
			kv.CreateRevision, i = int64(v), e
		}
	}
	if i < len(b) && b[i] == tagKVMod {
		if v, e := codec.VarintAt(b, i+1); e > 0 {
			kv.ModRevision, i = int64(v), e
		}
	}
	if i+1 < len(b) && b[i] == tagKVVersion && b[i+1] < 0x80 {
		kv.Version, i = int64(b[i+1]), i+2
	}
	if i+1 < len(b) && b[i] == tagKVValue {
		if l := int(b[i+1]); l < 0x80 && l <= len(b)-i-2 {
			end := i + 2 + l
			kv.Value, i = b[i+2:end:end], end
		}
	}
	if i < len(b) && b[i] == tagKVLease {
		if v, e := codec.VarintAt(b, i+1); e > 0 {
			kv.Lease, i = int64(v), e
		}
	}
	for i < len(b) {
		t := b[i]
		v, n := codec.Uvarint(b[i+1:])
		if n == 0 {
			return decodeKeyValueFrom(kv, b, i)
		}
		j := i + 1 + n
		switch t {
		case tagKVKey, tagKVValue:
			if v > uint64(len(b)-j) {
				return decodeKeyValueFrom(kv, b, i)
			}
			end := j + int(v)
			if t == tagKVKey {
				kv.Key = b[j:end:end]
			} else {
				kv.Value = b[j:end:end]
			}
			j = end
		case tagKVCreate:
			kv.CreateRevision = int64(v)
		case tagKVMod:
			kv.ModRevision = int64(v)
		case tagKVVersion:
			kv.Version = int64(v)
		case tagKVLease:
			kv.Lease = int64(v)
		default:
			return decodeKeyValueFrom(kv, b, i)
		}
		i = j
	}
	return nil
}

// decodeKeyValueFrom decodes the fields of a key-value from byte off on
// with the general reader.
func decodeKeyValueFrom(kv *KeyValue, b []byte, off int) error {
	r := codec.NewReaderAt(b, off)
	for {
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		switch {
		case f.Type == protowire.BytesType && f.Num == kvKey:
			kv.Key = f.B
		case f.Type == protowire.BytesType && f.Num == kvValue:
			kv.Value = f.B
		case f.Type != protowire.VarintType:
		case f.Num == kvCreate:
			kv.CreateRevision = int64(f.V)
		case f.Num == kvMod:
			kv.ModRevision = int64(f.V)
		case f.Num == kvVersion:
			kv.Version = int64(f.V)
		case f.Num == kvLease:
			kv.Lease = int64(f.V)
		}
	}
}

// grow makes room for the n more key-values of a repeated field.
func grow(kvs []KeyValue, n int) []KeyValue {
	if n == 0 || cap(kvs)-len(kvs) >= n {
		return kvs
	}
	out := make([]KeyValue, len(kvs), len(kvs)+n)
	copy(out, kvs)
	return out
}

// appendKeyValue decodes one more key-value at the end of kvs.
func appendKeyValue(kvs []KeyValue, b []byte, depth int) ([]KeyValue, error) {
	kvs = append(kvs, KeyValue{})
	return kvs, decodeKeyValue(&kvs[len(kvs)-1], b, depth)
}

func decodeGet(b []byte) (*GetResponse, error) {
	out := &GetResponse{}
	return out, decodeGetInto(out, b, 0)
}

func decodeGetInto(out *GetResponse, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	out.KVs = grow(out.KVs, codec.Count(b, rangeKVs))
	r := codec.NewReader(b)
	for {
		// The key-values, read in place while they follow one another.
		if i := r.Offset(); i+1 < len(b) && b[i] == tagRangeKVs {
			l, e := uint64(b[i+1]), i+2
			if l >= 0x80 {
				l, e = codec.VarintAt(b, i+1)
			}
			if e > 0 && l <= uint64(len(b)-e) {
				end := e + int(l)
				r.Seek(end)
				var err error
				if out.KVs, err = appendKeyValue(out.KVs, b[e:end:end], depth+1); err != nil {
					return err
				}
				continue
			}
		}
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		switch {
		case f.Type == protowire.BytesType && f.Num == respHeader:
			err = decodeHeader(&out.Header, f.B, depth+1)
		case f.Type == protowire.BytesType && f.Num == rangeKVs:
			out.KVs, err = appendKeyValue(out.KVs, f.B, depth+1)
		case f.Type == protowire.VarintType && f.Num == rangeMore:
			out.More = f.V != 0
		case f.Type == protowire.VarintType && f.Num == rangeCount:
			out.Count = int64(f.V)
		}
		if err != nil {
			return err
		}
	}
}

func decodePut(b []byte) (*PutResponse, error) {
	out := &PutResponse{}
	return out, decodePutInto(out, b, 0)
}

func decodePutInto(out *PutResponse, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	r := codec.NewReader(b)
	for {
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		if f.Type != protowire.BytesType {
			continue
		}
		switch f.Num {
		case respHeader:
			err = decodeHeader(&out.Header, f.B, depth+1)
		case putPrevKV:
			if out.PrevKV == nil {
				out.PrevKV = &KeyValue{}
			}
			err = decodeKeyValue(out.PrevKV, f.B, depth+1)
		}
		if err != nil {
			return err
		}
	}
}

func decodeDelete(b []byte) (*DeleteResponse, error) {
	out := &DeleteResponse{}
	return out, decodeDeleteInto(out, b, 0)
}

func decodeDeleteInto(out *DeleteResponse, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	out.PrevKVs = grow(out.PrevKVs, codec.Count(b, deletePrevKVs))
	r := codec.NewReader(b)
	for {
		if s, ok := r.BytesField(tagDeletePrevKVs); ok {
			var err error
			if out.PrevKVs, err = appendKeyValue(out.PrevKVs, s, depth+1); err != nil {
				return err
			}
			continue
		}
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		switch {
		case f.Type == protowire.BytesType && f.Num == respHeader:
			err = decodeHeader(&out.Header, f.B, depth+1)
		case f.Type == protowire.BytesType && f.Num == deletePrevKVs:
			out.PrevKVs, err = appendKeyValue(out.PrevKVs, f.B, depth+1)
		case f.Type == protowire.VarintType && f.Num == deleteDeleted:
			out.Deleted = int64(f.V)
		}
		if err != nil {
			return err
		}
	}
}

func decodeTxn(b []byte) (*TxnResponse, error) {
	out := &TxnResponse{}
	return out, decodeTxnInto(out, b, 0)
}

// decodeTxnInto decodes a transaction's response nested depth messages
// deep (0 for the top).
func decodeTxnInto(out *TxnResponse, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	if n := codec.Count(b, txnResponses); n > 0 && cap(out.Responses)-len(out.Responses) < n {
		rs := make([]OpResponse, len(out.Responses), len(out.Responses)+n)
		copy(rs, out.Responses)
		out.Responses = rs
	}
	r := codec.NewReader(b)
	for {
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		switch {
		case f.Type == protowire.BytesType && f.Num == respHeader:
			err = decodeHeader(&out.Header, f.B, depth+1)
		case f.Type == protowire.BytesType && f.Num == txnResponses:
			out.Responses = append(out.Responses, OpResponse{})
			err = decodeOpResponse(&out.Responses[len(out.Responses)-1], f.B, depth+1)
		case f.Type == protowire.VarintType && f.Num == txnSucceeded:
			out.Succeeded = f.V != 0
		}
		if err != nil {
			return err
		}
	}
}

// decodeOpResponse decodes one ResponseOp: a repeated member of its oneof
// is merged into the one before, another member replaces it.
func decodeOpResponse(out *OpResponse, b []byte, depth int) error {
	if err := codec.Depth(depth); err != nil {
		return err
	}
	r := codec.NewReader(b)
	for {
		f, ok, err := r.Next()
		if !ok || err != nil {
			return err
		}
		if f.Type != protowire.BytesType {
			continue
		}
		switch f.Num {
		case respOpRange:
			if out.Kind != op.KindGet || out.Get == nil {
				*out = OpResponse{Kind: op.KindGet, Get: &GetResponse{}}
			}
			err = decodeGetInto(out.Get, f.B, depth+1)
		case respOpPut:
			if out.Kind != op.KindPut || out.Put == nil {
				*out = OpResponse{Kind: op.KindPut, Put: &PutResponse{}}
			}
			err = decodePutInto(out.Put, f.B, depth+1)
		case respOpDelete:
			if out.Kind != op.KindDelete || out.Delete == nil {
				*out = OpResponse{Kind: op.KindDelete, Delete: &DeleteResponse{}}
			}
			err = decodeDeleteInto(out.Delete, f.B, depth+1)
		case respOpTxn:
			if out.Kind != op.KindTxn || out.Txn == nil {
				*out = OpResponse{Kind: op.KindTxn, Txn: &TxnResponse{}}
			}
			err = decodeTxnInto(out.Txn, f.B, depth+1)
		}
		if err != nil {
			return err
		}
	}
}
