// Package fuzzbytes turns a fuzzer's bytes into builder arguments, for the
// fuzz tests of the builder packages.
package fuzzbytes

import "math"

// Decoder reads values from the front of Data; once Data is used up every
// read returns zero values.
type Decoder struct{ Data []byte }

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if len(d.Data) == 0 {
		return 0
	}
	c := d.Data[0]
	d.Data = d.Data[1:]
	return c
}

// Str reads a length from 0 to maxLen and that many raw bytes, so "\x00",
// "\xff" and the empty string all show up.
func (d *Decoder) Str(maxLen int) string {
	n := min(int(d.Byte())%(maxLen+1), len(d.Data))
	s := string(d.Data[:n])
	d.Data = d.Data[n:]
	return s
}

// Int reads a small signed number, or one of the extremes.
func (d *Decoder) Int() int64 {
	switch c := d.Byte(); c {
	case 0x80:
		return math.MinInt64
	case 0x7f:
		return math.MaxInt64
	default:
		return int64(int8(c))
	}
}
