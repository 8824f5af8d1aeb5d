package kv_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
)

type option func(kv.Request) kv.Request

// permutations calls f with every ordering of opts (Heap's algorithm).
func permutations(opts []option, f func([]option)) {
	p := append([]option(nil), opts...)
	c := make([]int, len(p))
	f(p)
	for i := 0; i < len(p); {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			f(p)
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

func apply(opts []option) kv.Request {
	r := kv.New()
	for _, o := range opts {
		r = o(r)
	}
	return r
}

// TestOptionOrder applies the same options in every order and checks that
// each ordering compiles to the same message, or fails with the same error.
func TestOptionOrder(t *testing.T) {
	var (
		key      = func(r kv.Request) kv.Request { return r.WithKey("a\xff") }
		prefix   = kv.Request.WithPrefix
		fromKey  = kv.Request.WithFromKey
		end      = func(r kv.Request) kv.Request { return r.WithRangeEnd("z") }
		sort     = func(r kv.Request) kv.Request { return r.WithSort(kv.SortByCreate, kv.SortDescend) }
		limit    = func(r kv.Request) kv.Request { return r.WithLimit(10) }
		rev      = func(r kv.Request) kv.Request { return r.WithRev(99) }
		serial   = kv.Request.WithSerializable
		keysOnly = kv.Request.WithKeysOnly
		minMod   = func(r kv.Request) kv.Request { return r.WithMinModRev(4) }
		value    = func(r kv.Request) kv.Request { return r.WithValue("v") }
		lease    = func(r kv.Request) kv.Request { return r.WithLease(12) }
		prevKV   = kv.Request.WithPrevKV
		ignLease = kv.Request.WithIgnoreLease
		physical = kv.Request.WithPhysical
		top      = kv.Request.WithLastCreate
	)
	type compile func(kv.Request) (proto.Message, error)
	rangeC := func(r kv.Request) (proto.Message, error) { return r.RangeRequest() }
	putC := func(r kv.Request) (proto.Message, error) { return r.PutRequest() }
	deleteC := func(r kv.Request) (proto.Message, error) { return r.DeleteRequest() }
	compactC := func(r kv.Request) (proto.Message, error) { return r.CompactRequest() }

	for _, tc := range []struct {
		name    string
		opts    []option
		compile compile
		wantErr bool
	}{
		{"prefix+key", []option{prefix, key}, rangeC, false},
		{"range, 7 options", []option{key, prefix, sort, limit, rev, serial, keysOnly}, rangeC, false},
		{"range end, 6 options", []option{end, key, sort, limit, minMod, serial}, rangeC, false},
		{"from key, 5 options", []option{fromKey, key, sort, limit, rev}, rangeC, false},
		{"top + key + rev", []option{top, key, rev, serial}, rangeC, false},
		{"put, 4 options", []option{value, key, lease, prevKV}, putC, false},
		{"delete prefix", []option{prevKV, prefix, key}, deleteC, false},
		{"compact", []option{physical, rev}, compactC, false},
		{"invalid: prefix+from key", []option{key, prefix, fromKey, sort, limit, rev}, rangeC, true},
		{"invalid: lease+ignore lease", []option{key, value, lease, ignLease, prevKV}, putC, true},
		{"invalid: value on range", []option{key, value, prefix, limit, sort}, rangeC, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := tc.compile(apply(tc.opts))
			if (wantErr != nil) != tc.wantErr {
				t.Fatalf("first ordering: err = %v, want error %v", wantErr, tc.wantErr)
			}
			n := 0
			permutations(tc.opts, func(p []option) {
				n++
				got, err := tc.compile(apply(p))
				if tc.wantErr {
					if err == nil || err.Error() != wantErr.Error() {
						t.Fatalf("ordering %d: err = %v, want %v", n, err, wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("ordering %d: %v", n, err)
				}
				if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
					t.Fatalf("ordering %d differs (-first +this):\n%s", n, d)
				}
			})
			if want := factorial(len(tc.opts)); n != want {
				t.Fatalf("tried %d orderings, want %d", n, want)
			}
		})
	}
}

func factorial(n int) int {
	if n <= 1 {
		return 1
	}
	return n * factorial(n-1)
}

// TestPrefixKeyOrder is the issue's own example, spelled out.
func TestPrefixKeyOrder(t *testing.T) {
	for _, k := range []string{"a", "a\xff", "\xff\xff", "", "config/"} {
		x, errX := kv.New().WithPrefix().WithKey(k).RangeRequest()
		y, errY := kv.New().WithKey(k).WithPrefix().RangeRequest()
		if errX != nil || errY != nil {
			t.Fatalf("key %q: %v, %v", k, errX, errY)
		}
		if kv.New().WithPrefix().WithKey(k) != kv.New().WithKey(k).WithPrefix() {
			t.Errorf("key %q: the two Request values differ", k)
		}
		diff(t, x, y)
	}
}
