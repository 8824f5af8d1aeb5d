package conn

import (
	"errors"
	"testing"
	"time"

	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
)

func TestOverlaps(t *testing.T) {
	b := func(s string) []byte {
		if s == "" {
			return nil
		}
		return []byte(s)
	}
	const all = "\x00"
	for _, tc := range []struct {
		k1, e1, k2, e2 string
		want           bool
	}{
		{"a", "", "a", "", true},
		{"a", "", "b", "", false},
		{"b", "", "a", "c", true},
		{"c", "", "a", "c", false}, // the end is not in the range
		{"a", "", "b", "c", false},
		{"z", "", "b", all, true}, // from b on
		{"a", "", "b", all, false},
		{"a", "c", "b", "d", true},
		{"a", "b", "b", "c", false},
		{"a", all, "zz", "zzz", true},
		{"a", all, "b", all, true},
		{"\x00", all, "k", "", true}, // every key
	} {
		for _, swap := range []bool{false, true} {
			k1, e1, k2, e2 := tc.k1, tc.e1, tc.k2, tc.e2
			if swap {
				k1, e1, k2, e2 = k2, e2, k1, e1
			}
			if got := overlaps(b(k1), b(e1), b(k2), b(e2)); got != tc.want {
				t.Errorf("overlaps([%q,%q), [%q,%q)) = %v, want %v", k1, e1, k2, e2, got, tc.want)
			}
		}
	}
}

// TestTake: a batch takes the queue in order up to MaxOps and MaxBytes,
// leaving overlapping writes for later, and a lone oversized request alone.
func TestTake(t *testing.T) {
	put := func(k string, n int) *pending {
		p := &pending{op: wire.OpFields{Kind: wire.OpPut, Put: wire.PutFields{Key: []byte(k), Value: make([]byte, n)}}}
		p.opSize = codec.OpSize(&p.op)
		return p
	}
	del := func(k, e string) *pending {
		p := &pending{op: wire.OpFields{Kind: wire.OpDelete, Delete: wire.DeleteFields{Key: []byte(k), End: []byte(e)}}}
		p.opSize = codec.OpSize(&p.op)
		return p
	}
	keys := func(ps []*pending) (out []string) {
		for _, p := range ps {
			k, _ := writeRange(&p.op)
			out = append(out, string(k))
		}
		return out
	}
	co := &coalescer{maxPrevs: 1}
	co.maxOps.Store(3)
	co.maxBytes.Store(100)
	q := &batchQueue{}
	for _, p := range []*pending{put("a", 1), put("a", 1), del("b", "d"), put("c", 1), put("e", 1), put("f", 1)} {
		q.queue = append(q.queue, p)
		q.bytes += p.opSize
	}
	var got [][]string
	for len(q.queue) > 0 {
		got = append(got, keys(co.take(q)))
	}
	want := [][]string{{"a", "b", "e"}, {"a", "c", "f"}}
	if len(got) != len(want) || len(got[0]) != 3 || len(got[1]) != 3 {
		t.Fatalf("batches %q, want %q", got, want)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("batches %q, want %q", got, want)
			}
		}
	}
	if q.bytes != 0 {
		t.Errorf("queued bytes %d after taking everything", q.bytes)
	}

	q.queue = []*pending{put("big", 200), put("x", 1), put("y", 90), put("z", 1)}
	got = nil
	for len(q.queue) > 0 {
		got = append(got, keys(co.take(q)))
	}
	if len(got) != 3 || len(got[0]) != 1 || got[0][0] != "big" || len(got[1]) != 2 || got[1][1] != "z" || got[2][0] != "y" {
		t.Errorf("batches %q, want [big] [x z] [y]", got)
	}

	// One write asking for its previous key-value per batch (maxPrevs).
	prev := func(p *pending) *pending { p.op.Put.PrevKV = true; return p }
	q.queue = []*pending{prev(put("p", 1)), prev(put("q", 1)), put("r", 1), put("s", 1)}
	got = nil
	for len(q.queue) > 0 {
		got = append(got, keys(co.take(q)))
	}
	if len(got) != 2 || len(got[0]) != 3 || got[0][1] != "r" || len(got[1]) != 1 || got[1][0] != "q" {
		t.Errorf("batches %q, want [p r s] [q]", got)
	}
}

func TestCoalescingConfig(t *testing.T) {
	for _, tc := range []struct {
		field string
		c     Coalescing
	}{
		{"Coalescing.MaxOps", Coalescing{MaxOps: -1}},
		{"Coalescing.MaxBytes", Coalescing{MaxBytes: -1}},
		{"Coalescing.MaxInFlight", Coalescing{MaxInFlight: -1}},
		{"Coalescing.Window", Coalescing{Window: -time.Second}},
	} {
		err := Config{Endpoints: []string{"127.0.0.1:2379"}, Coalescing: tc.c}.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: %v, want a ConfigError on %s", tc.c, err, tc.field)
		}
	}
	got := Config{Coalescing: Coalescing{Enabled: true}, MaxCallSendMsgSize: 1 << 19}.withDefaults().Coalescing
	if got != (Coalescing{Enabled: true, MaxOps: DefaultCoalesceMaxOps, MaxBytes: 1 << 19, MaxInFlight: DefaultCoalesceMaxInFlight}) {
		t.Errorf("defaults %+v", got)
	}
	if got := (Config{}).withDefaults().Coalescing; got != (Coalescing{}) {
		t.Errorf("defaults of coalescing off %+v, want none", got)
	}
}
