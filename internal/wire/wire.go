// Package wire lets getcd's connection code compile requests without
// copying keys and values.
//
// The builders keep keys and values as strings. Their public compile
// methods copy them into fresh byte slices, because the caller owns the
// message and may write to it. A message that goes straight to the wire
// is only read (marshalled), so the conn package asks for one whose byte
// slices share memory with the strings. Such a message must never be
// written or handed to user code.
package wire

import "unsafe"

// Token is required by the builders' no-copy compile methods. Only getcd's
// own packages can import this package, so only they can supply one.
type Token struct{ _ [0]func() }

// Mode says how a builder turns strings into bytes.
type Mode bool

// Modes.
const (
	Copy  Mode = false // fresh slices the caller may write to
	Alias Mode = true  // read-only slices sharing the strings' memory
)

// zero is the one-byte "\x00" key or range end, shared by aliasing
// compiles; it is never written.
var zero = []byte{0}

// Bytes returns s as bytes, copied or aliased.
func (m Mode) Bytes(s string) []byte {
	if m == Copy {
		return []byte(s)
	}
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Zero returns "\x00" as bytes, fresh or shared.
func (m Mode) Zero() []byte {
	if m == Copy {
		return []byte{0}
	}
	return zero
}
