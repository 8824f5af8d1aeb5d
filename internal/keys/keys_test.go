package keys

import (
	"bytes"
	"testing"
)

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"", "\x00"},
		{"a", "b"},
		{"a\xff", "b"},
		{"a\xff\xff", "b"},
		{"\xff", "\x00"},
		{"\xff\xff", "\x00"},
		{"ab\xfe", "ab\xff"},
		{"a\xffb", "a\xffc"},
		{"\x00", "\x01"},
		{"jobs/", "jobs0"},
	} {
		if got := PrefixEnd(tc.key); !bytes.Equal(got, []byte(tc.want)) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

// TestPrefixEndFresh shows each call returns its own slice: a caller may
// change it without affecting later calls.
func TestPrefixEndFresh(t *testing.T) {
	for _, key := range []string{"", "\xff", "a"} {
		first := PrefixEnd(key)
		want := string(first)
		first[0] = 'X'
		if got := PrefixEnd(key); string(got) != want {
			t.Errorf("PrefixEnd(%q) after mutating an earlier result = %q, want %q", key, got, want)
		}
	}
}

var sink []byte

func TestPrefixEndAllocs(t *testing.T) {
	if got := testing.AllocsPerRun(1000, func() { sink = PrefixEnd("config/") }); got != 1 {
		t.Errorf("PrefixEnd: %v allocs/op, want 1", got)
	}
}
