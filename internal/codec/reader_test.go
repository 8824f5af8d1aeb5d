package codec

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// FuzzFastReads checks the fast reads against protowire on any bytes:
// Uvarint and VarintAt give ConsumeVarint's value and length whenever they
// read one, Count counts what protowire's field by field reading
// (countFrom) counts, BytesAt reads what Next reads, and ShortBytesAt what
// BytesAt reads whenever it reads anything.
func FuzzFastReads(f *testing.F) {
	f.Add([]byte{0x12, 0x02, 'a', 'b', 0x18, 0x01, 0x12, 0x00}, uint8(2))
	f.Add([]byte{0x12, 0x80, 0x01}, uint8(2))
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x00}, uint8(2))
	f.Add([]byte{0x0d, 1, 2, 3, 4, 0x12, 0x00, 0x92, 0x01, 0x00}, uint8(18))
	f.Add([]byte{0x02, 0x00, 0x12, 0x00}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, num uint8) {
		if v, n := Uvarint(b); n > 0 {
			pv, pn := protowire.ConsumeVarint(b)
			if v != pv || n != pn {
				t.Fatalf("Uvarint(%x) = %d, %d; protowire: %d, %d", b, v, n, pv, pn)
			}
		}
		for off := range min(len(b), 4) {
			if v, end := VarintAt(b, off); end > 0 {
				pv, pn := protowire.ConsumeVarint(b[off:])
				if v != pv || end != off+pn {
					t.Fatalf("VarintAt(%x, %d) = %d, %d; protowire: %d, %d", b, off, v, end, pv, off+pn)
				}
			}
		}
		for _, fn := range []protowire.Number{protowire.Number(num % 32), 2} {
			if got, want := Count(b, fn), countFrom(b, fn, 0); got != want {
				t.Fatalf("Count(%x, %d) = %d, want %d", b, fn, got, want)
			}
		}
		// The fields decoders read fast: a bytes field numbered 1 to 15,
		// its one-byte tag at the start.
		if len(b) > 0 && b[0]&7 == byte(protowire.BytesType) && b[0] >= 1<<3 && b[0] < 0x80 {
			if short, end := ShortBytesAt(b, 0); end > 0 {
				if got, e := BytesAt(b, 0); e != end || string(got) != string(short) || cap(short) != len(short) {
					t.Fatalf("ShortBytesAt(%x, 0) = %x, %d; BytesAt: %x, %d", b, short, end, got, e)
				}
			}
			if got, end := BytesAt(b, 0); end > 0 {
				slow := NewReader(b)
				f, ok, err := slow.Next()
				if !ok || err != nil || f.Type != protowire.BytesType || byte(f.Num<<3|2) != b[0] ||
					string(f.B) != string(got) || cap(got) != len(got) || end != slow.off {
					t.Fatalf("BytesAt(%x, 0) = %x, %d; Next: %+v, %v, %v at %d", b, got, end, f, ok, err, slow.off)
				}
			}
		}
	})
}
