// Package keys holds key-space arithmetic shared by the builders.
package keys

import "github.com/getcd/getcd/internal/wire"

// PrefixEnd returns a fresh range end that makes [key, end) cover every key
// starting with key: trailing 0xff bytes are dropped and the last remaining
// byte is incremented. When nothing remains (an empty or all-0xff key) it
// returns "\x00", etcd's "to the end of the key space".
func PrefixEnd(key string) []byte {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] < 0xff {
			end := []byte(key[:i+1])
			end[i]++
			return end
		}
	}
	return []byte{0}
}

// Span says which keys a request or condition covers, starting at its key.
type Span int8

// Spans.
const (
	Single  Span = iota // the key alone
	Prefix              // every key starting with the key; every key when it is empty
	FromKey             // every key from the key on; every key when it is empty
	Range               // [key, end)
)

// Resolve turns a key, a span and (for Range) an explicit end into etcd's
// key and range_end bytes, copied or aliased as m says. A nil end means a
// single key. When etcd would reject the combination it returns no bytes
// and the field at fault with the reason.
func Resolve(s Span, key, end string, m wire.Mode) (k, e []byte, field, reason string) {
	switch s {
	case Prefix:
		if key == "" {
			return m.Zero(), m.Zero(), "", ""
		}
		return m.Bytes(key), PrefixEnd(key), "", ""
	case FromKey:
		if key == "" {
			return m.Zero(), m.Zero(), "", ""
		}
		return m.Bytes(key), m.Zero(), "", ""
	case Range:
		switch {
		case key == "":
			return nil, nil, "key", "empty key; a range needs its first key"
		case end == "":
			return nil, nil, "range_end", "empty range end; leave it out for a single key"
		case end != "\x00" && end <= key:
			return nil, nil, "range_end", "range end must sort after the key, or be \"\\x00\" for every key from the key on"
		}
		return m.Bytes(key), m.Bytes(end), "", ""
	}
	if key == "" {
		return nil, nil, "key", "empty key; etcd rejects it (use a prefix or all keys to cover every key)"
	}
	return m.Bytes(key), nil, "", ""
}
