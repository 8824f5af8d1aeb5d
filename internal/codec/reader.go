package codec

import (
	"errors"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrMalformed is matched by every error of Reader: the bytes are not a
// valid protobuf message.
var ErrMalformed = errors.New("codec: malformed response")

// MaxDepth is the deepest nesting of messages a response may have, as
// protobuf's own decoder allows (protowire.DefaultRecursionLimit).
const MaxDepth = protowire.DefaultRecursionLimit

// MalformedError says where the bytes of a response went wrong.
type MalformedError struct {
	Offset int    // byte offset in the message being read
	Reason string // what is wrong
}

func (e *MalformedError) Error() string {
	return "codec: malformed response at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Unwrap() error { return ErrMalformed }

// Field is one field read by Reader. For a varint field V holds the value;
// for a length-delimited field B holds the bytes, aliasing the input with
// its capacity clipped to its length, so that appending to it never writes
// into the bytes that follow. Other wire types (fixed32, fixed64, groups)
// are known to no key-value response and are skipped by Next.
type Field struct {
	Num  protowire.Number
	Type protowire.Type
	V    uint64
	B    []byte
}

// Reader reads the fields of one message in order.
type Reader struct {
	b   []byte
	off int
}

// NewReader reads the fields of the message b.
func NewReader(b []byte) Reader { return Reader{b: b} }

// Offset is where the next field starts, and Seek moves there: a decoder
// that reads a field itself (with BytesAt or VarintAt) seeks past it.
func (r *Reader) Offset() int { return r.off }

// Seek: see Offset.
func (r *Reader) Seek(off int) { r.off = off }

// More says whether fields are left.
func (r *Reader) More() bool { return r.off < len(r.b) }

// Next reads the next field of a varint or bytes wire type, skipping fields
// of the other wire types as the unknown fields they are to a key-value
// response (protobuf keeps them aside; getcd's results have no place for
// them). ok is false at the end of the message.
func (r *Reader) Next() (f Field, ok bool, err error) {
	for r.off < len(r.b) {
		b := r.b[r.off:]
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Field{}, false, r.fail(protowire.ParseError(n))
		}
		if num > protowire.MaxValidNumber { // ConsumeTag leaves this check to its callers
			return Field{}, false, r.fail(errors.New("invalid field number " + strconv.FormatUint(uint64(num), 10)))
		}
		f = Field{Num: num, Type: typ}
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b[n:])
			if m < 0 {
				return Field{}, false, r.fail(protowire.ParseError(m))
			}
			f.V = v
			r.off += n + m
			return f, true, nil
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b[n:])
			if m < 0 {
				return Field{}, false, r.fail(protowire.ParseError(m))
			}
			f.B = v[:len(v):len(v)]
			r.off += n + m
			return f, true, nil
		default:
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return Field{}, false, r.fail(protowire.ParseError(m))
			}
			r.off += n + m
		}
	}
	return Field{}, false, nil
}

// Count returns how many fields of number num and the bytes wire type the
// message holds, reading from the start; it is how a decoder sizes a
// repeated field before filling it. Errors are left to Next.
func Count(b []byte, num protowire.Number) int {
	c := 0
	// Fields with one-byte tags and short varints, skipped without
	// protowire; anything else is left to countFrom.
	for len(b) > 0 {
		t := b[0]
		if t >= 0x80 || t < 1<<3 {
			return countFrom(b, num, c)
		}
		v, n := Uvarint(b[1:])
		if n == 0 {
			return countFrom(b, num, c)
		}
		switch t & 7 {
		case byte(protowire.VarintType):
			b = b[1+n:]
		case byte(protowire.BytesType):
			if v > uint64(len(b)-1-n) {
				return c // as countFrom: a truncated field ends the count
			}
			if protowire.Number(t>>3) == num {
				c++
			}
			b = b[1+n+int(v):]
		default:
			return countFrom(b, num, c)
		}
	}
	return c
}

// countFrom is Count through protowire, field by field, from c on.
func countFrom(b []byte, num protowire.Number, c int) int {
	for len(b) > 0 {
		n, typ, m := protowire.ConsumeTag(b)
		if m < 0 {
			return c
		}
		b = b[m:]
		k := protowire.ConsumeFieldValue(n, typ, b)
		if k < 0 {
			return c
		}
		if n == num && typ == protowire.BytesType {
			c++
		}
		b = b[k:]
	}
	return c
}

func (r *Reader) fail(err error) error {
	return &MalformedError{Offset: r.off, Reason: err.Error()}
}

// Depth returns an error for a message nested depth levels deep (0 for
// the top one) when protobuf's decoder would refuse it: it counts every
// nested message, empty ones included, and refuses one at MaxDepth.
func Depth(depth int) error {
	if depth >= MaxDepth {
		return &MalformedError{Reason: "messages nested " + strconv.Itoa(MaxDepth) + " or more deep"}
	}
	return nil
}

// The fast reads below are for decoders' loops over the fields etcd sends.
// Each reads a field only when it is well formed with a one-byte tag (a
// field number below 16) and varints of at most 9 bytes; for anything else
// it reads nothing and reports so, and the decoder leaves the field to
// Next, which gives what protobuf would for it, errors included. What a
// fast read returns for a field is what Next returns for it.

// NewReaderAt reads the fields of the message b from byte off on, where a
// decoder's fast reads stopped.
func NewReaderAt(b []byte, off int) Reader { return Reader{b: b, off: off} }

// BytesAt reads the length-delimited field whose one-byte tag is at b[i]:
// its bytes, aliasing b with their capacity clipped to their length, and
// the offset after them; the offset is 0 when the field is not for a fast
// read (its length is not a varint of at most 9 bytes, or runs past the
// end of b).
func BytesAt(b []byte, i int) ([]byte, int) {
	if v, e := ShortBytesAt(b, i); e > 0 {
		return v, e
	}
	l, e := VarintAt(b, i+1)
	if e == 0 || l > uint64(len(b)-e) {
		return nil, 0
	}
	end := e + int(l)
	return b[e:end:end], end
}

// ShortBytesAt is BytesAt for a length under 128, small enough to be
// inlined in a decoder's loop; for any other field it returns an offset of
// 0, and the decoder calls BytesAt.
func ShortBytesAt(b []byte, i int) ([]byte, int) {
	if i+1 < len(b) {
		if l := int(b[i+1]); l < 0x80 && l <= len(b)-i-2 {
			end := i + 2 + l
			return b[i+2 : end : end], end
		}
	}
	return nil, 0
}

// VarintAt reads a varint at b[off:] of at most 9 bytes: its value and
// the offset after it, or an offset of 0 for anything else. It is the
// out-of-line read of a decoder that reads one-byte varints itself; the
// two- and three-byte varints of most revisions are read unrolled.
func VarintAt(b []byte, off int) (uint64, int) {
	if off+3 <= len(b) {
		c0, c1, c2 := b[off], b[off+1], b[off+2]
		switch {
		case c0 < 0x80:
			return uint64(c0), off + 1
		case c1 < 0x80:
			return uint64(c0&0x7f) | uint64(c1)<<7, off + 2
		case c2 < 0x80:
			return uint64(c0&0x7f) | uint64(c1&0x7f)<<7 | uint64(c2)<<14, off + 3
		}
	}
	if off > len(b) {
		return 0, 0
	}
	v, n := uvarint(b[off:])
	if n == 0 {
		return 0, 0
	}
	return v, off + n
}

// Uvarint decodes a varint of at most 9 bytes (63 bits) at the start of b,
// with the value protowire.ConsumeVarint gives; n is 0 for anything else
// (truncated or longer), which the caller leaves to Next.
func Uvarint(b []byte) (v uint64, n int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return uvarint(b)
}

func uvarint(b []byte) (v uint64, n int) {
	for i := 0; i < len(b) && i < 9; i++ {
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
