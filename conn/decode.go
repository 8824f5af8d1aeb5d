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
	// order, one comparison each. Anything else (another order, a repeated
	// or unknown field, another wire type, a long varint, bad bytes) goes to
	// the general loop from where it starts, which gives protobuf's result.
	i := 0
	if i < len(b) && b[i] == tagKVKey {
		v, e := codec.ShortBytesAt(b, i) // inlined
		if e == 0 {
			v, e = codec.BytesAt(b, i)
		}
		if e > 0 {
			kv.Key, i = v, e
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
	if i < len(b) && b[i] == tagKVValue {
		v, e := codec.ShortBytesAt(b, i) // inlined
		if e == 0 {
			v, e = codec.BytesAt(b, i)
		}
		if e > 0 {
			kv.Value, i = v, e
		}
	}
	if i < len(b) && b[i] == tagKVLease {
		if v, e := codec.VarintAt(b, i+1); e > 0 {
			kv.Lease, i = int64(v), e
		}
	}
	if i < len(b) {
		return decodeKeyValueFrom(kv, b, i)
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

// appendKeyValues decodes the key-values with the one-byte tag given that
// follow one another from r's next field on, read in place, and leaves r
// after them; a field that is not for a fast read is left to r.Next.
func appendKeyValues(kvs []KeyValue, r *codec.Reader, b []byte, tag byte, depth int) ([]KeyValue, error) {
	for i := r.Offset(); i < len(b) && b[i] == tag; i = r.Offset() {
		v, end := codec.ShortBytesAt(b, i) // inlined
		if end == 0 {
			if v, end = codec.BytesAt(b, i); end == 0 {
				break
			}
		}
		r.Seek(end)
		var err error
		if kvs, err = appendKeyValue(kvs, v, depth); err != nil {
			return kvs, err
		}
	}
	return kvs, nil
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
		var err error
		if out.KVs, err = appendKeyValues(out.KVs, &r, b, tagRangeKVs, depth+1); err != nil {
			return err
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
		var err error
		if out.PrevKVs, err = appendKeyValues(out.PrevKVs, &r, b, tagDeletePrevKVs, depth+1); err != nil {
			return err
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
