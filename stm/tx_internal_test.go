package stm

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/keys"
)

// testTx is an attempt in progress without a connection: reads must come
// from the write set, the read set or the view.
func testTx(iso Isolation, pre *view) *Tx {
	tx := &Tx{iso: iso, reads: map[string]entry{}, writes: map[string]write{}}
	tx.begin(1, pre)
	return tx
}

func mustSpan(t *testing.T, kind keys.Span, key, end string) span {
	t.Helper()
	s, err := newSpan(kind, key, end)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func modCmp(key, end string, res pb.Compare_CompareResult, rev int64) *pb.Compare {
	c := &pb.Compare{Key: []byte(key), Target: pb.Compare_MOD, Result: res, TargetUnion: &pb.Compare_ModRevision{ModRevision: rev}}
	if end != "" {
		c.RangeEnd = []byte(end)
	}
	return c
}

func putOp(k, v string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(v)}}}
}

func getOp(k, end string) *pb.RequestOp {
	r := &pb.RangeRequest{Key: []byte(k)}
	if end != "" {
		r.RangeEnd = []byte(end)
	}
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
}

// planned is a transaction that read a (mod 5), missing m, the prefix p/
// (returning p/1 at mod 6) at snapshot 9, and wrote a, w (blind), p/2 (in
// the range) and deleted d (blind).
func planned(t *testing.T, iso Isolation) *Tx {
	tx := testTx(iso, nil)
	tx.snap = 9
	tx.reads["a"] = entry{value: "1", mod: 5, exists: true}
	tx.reads["m"] = entry{}
	tx.reads["p/1"] = entry{value: "x", mod: 6, exists: true}
	tx.ranges = append(tx.ranges, rangeRead{span: mustSpan(t, keys.Prefix, "p/", ""), rev: 9})
	tx.writes["a"] = write{value: "2"}
	tx.writes["w"] = write{value: "3"}
	tx.writes["p/2"] = write{value: "4"}
	tx.writes["d"] = write{del: true}
	return tx
}

func TestPlan(t *testing.T) {
	del := &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte("d")}}}
	then := []*pb.RequestOp{putOp("a", "2"), del, putOp("p/2", "4"), putOp("w", "3")}
	readConds := []*pb.Compare{
		modCmp("a", "", pb.Compare_EQUAL, 5),
		modCmp("m", "", pb.Compare_EQUAL, 0),
		modCmp("p/1", "", pb.Compare_EQUAL, 6),
		modCmp("p/", "p0", pb.Compare_LESS, 10), // mod <= 9
	}
	rereads := []*pb.RequestOp{getOp("p/", "p0"), getOp("a", ""), getOp("m", "")}
	for _, tc := range []struct {
		iso  Isolation
		want *pb.TxnRequest
	}{
		{SerializableSnapshot, &pb.TxnRequest{
			Compare: append(slices.Clone(readConds),
				modCmp("d", "", pb.Compare_LESS, 10), // blind writes: mod <= snapshot
				modCmp("w", "", pb.Compare_LESS, 10)),
			Success: then,
			Failure: append(slices.Clone(rereads), getOp("d", ""), getOp("w", "")),
		}},
		{Serializable, &pb.TxnRequest{Compare: readConds, Success: then, Failure: rereads}},
		{RepeatableReads, &pb.TxnRequest{Compare: readConds, Success: then, Failure: rereads}},
		{ReadCommitted, &pb.TxnRequest{Success: then}},
	} {
		t.Run(tc.iso.String(), func(t *testing.T) {
			tx := planned(t, tc.iso)
			if !tc.iso.validates() {
				clear(tx.reads)
				tx.ranges = nil
			}
			txn, spans := tx.plan(New(nop))
			got, err := txn.Compile()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, protocmp.Transform()); d != "" {
				t.Errorf("commit (-want +got):\n%s", d)
			}
			if len(spans) != len(tc.want.Failure) {
				t.Errorf("%d reread spans for %d failure ops", len(spans), len(tc.want.Failure))
			}
		})
	}
}

func nop(context.Context, *Tx) error { return nil }

// TestPlanLimits: a commit with more conditions than the limit is refused
// at compile time; a failure branch that would not fit is left out.
func TestPlanLimits(t *testing.T) {
	tx := planned(t, Serializable)
	txn, _ := tx.plan(New(nop).WithMaxOps(3)) // 4 conditions
	if _, err := txn.Compile(); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("4 conditions with a limit of 3: %v, want ErrInvalidRequest", err)
	}
	tx = testTx(Serializable, nil)
	tx.ranges = append(tx.ranges, rangeRead{span: mustSpan(t, keys.Prefix, "p/", ""), rev: 3})
	for _, k := range []string{"a", "b"} {
		tx.reads[k] = entry{}
	}
	tx.writes["a"] = write{value: "v"}
	txn, spans := tx.plan(New(nop).WithMaxOps(3).WithPrefetch("x"))
	got, err := txn.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if spans != nil || len(got.Failure) != 0 {
		t.Errorf("4 rereads with a limit of 3: failure branch %v, spans %v; want none", got.Failure, spans)
	}
}

func TestOverlay(t *testing.T) {
	tx := testTx(Serializable, nil)
	tx.writes["p/b"] = write{value: "B2"}
	tx.writes["p/c"] = write{del: true}
	tx.writes["p/d"] = write{del: true} // not in the base: no effect
	tx.writes["p/0"] = write{value: "new"}
	tx.writes["q"] = write{value: "outside"}
	base := []KeyValue{{"p/c", "C"}, {"p/b", "B"}, {"p/a", "A"}}
	got := tx.overlay(base, mustSpan(t, keys.Prefix, "p/", ""))
	want := []KeyValue{{"p/0", "new"}, {"p/a", "A"}, {"p/b", "B2"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("overlay (-want +got):\n%s", d)
	}
}

// TestReadsWithoutStore covers the reads an attempt serves without a
// round trip: its own writes, its earlier reads and ranges, and the view.
func TestReadsWithoutStore(t *testing.T) {
	ctx := context.Background()
	pre := newView(20, []span{single("v"), single("gone"), mustSpan(t, keys.Prefix, "r/", "")}, []conn.OpResponse{
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("v"), Value: []byte("V"), ModRevision: 11}}}},
		{Get: &conn.GetResponse{}},
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("r/1"), Value: []byte("R1"), ModRevision: 12}, {Key: []byte("r/2"), Value: []byte("R2"), ModRevision: 13}}}},
	})
	for _, iso := range []Isolation{SerializableSnapshot, Serializable, RepeatableReads, ReadCommitted} {
		t.Run(iso.String(), func(t *testing.T) {
			tx := testTx(iso, pre)
			if iso.pinned() && tx.snap != 20 {
				t.Errorf("snapshot %d, want the view's revision 20", tx.snap)
			}
			tx.Put("w", "W")
			tx.Delete("v2")
			for _, c := range []struct {
				key, value string
				ok         bool
			}{{"w", "W", true}, {"v2", "", false}, {"v", "V", true}, {"gone", "", false}, {"r/1", "R1", true}, {"r/9", "", false}} {
				v, ok, err := tx.Lookup(ctx, c.key)
				if err != nil || v != c.value || ok != c.ok {
					t.Errorf("Lookup(%q) = %q, %v, %v; want %q, %v", c.key, v, ok, err, c.value, c.ok)
				}
			}
			tx.Put("r/3", "R3")
			tx.Delete("r/1")
			got, err := tx.Prefix(ctx, "r/")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff([]KeyValue{{"r/2", "R2"}, {"r/3", "R3"}}, got); d != "" {
				t.Errorf("Prefix (-want +got):\n%s", d)
			}
			got, err = tx.Range(ctx, "r/2", "r/3")
			if err != nil || len(got) != 1 || got[0].Key != "r/2" {
				t.Errorf("Range(r/2, r/3) = %v, %v", got, err)
			}
			if !iso.validates() {
				if len(tx.reads) != 0 || len(tx.ranges) != 0 {
					t.Errorf("read committed recorded reads %v %v", tx.reads, tx.ranges)
				}
				return
			}
			want := map[string]entry{"v": {"V", 11, true}, "gone": {}, "r/1": {"R1", 12, true}, "r/2": {"R2", 13, true}, "r/9": {}}
			if d := cmp.Diff(want, tx.reads, cmp.AllowUnexported(entry{})); d != "" {
				t.Errorf("read set (-want +got):\n%s", d)
			}
			if len(tx.ranges) != 1 || tx.ranges[0].rev != 20 {
				t.Errorf("ranges %+v, want the prefix at revision 20", tx.ranges)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	tx := planned(t, SerializableSnapshot)
	v := newView(15, []span{mustSpan(t, keys.Prefix, "p/", ""), single("a"), single("m"), single("d"), single("w")}, []conn.OpResponse{
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("p/1"), ModRevision: 6}, {Key: []byte("p/new"), ModRevision: 14}}}},
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("a"), ModRevision: 5}}}},
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("m"), ModRevision: 12}}}},
		{Get: &conn.GetResponse{}},
		{Get: &conn.GetResponse{KVs: []conn.KeyValue{{Key: []byte("w"), ModRevision: 10}}}},
	})
	if got, want := tx.changed(v), []string{"m", "p/new", "w"}; !slices.Equal(got, want) {
		t.Errorf("changed = %q, want %q", got, want)
	}
	tx.iso = Serializable // blind writes are not checked
	if got, want := tx.changed(v), []string{"m", "p/new"}; !slices.Equal(got, want) {
		t.Errorf("serializable changed = %q, want %q", got, want)
	}
}

// TestOutsideAttempt: a Tx that is not in an attempt (the zero Tx, a nil
// one, or one whose function returned) refuses reads and ignores writes.
func TestOutsideAttempt(t *testing.T) {
	ctx := context.Background()
	ended := testTx(Serializable, nil)
	ended.end()
	for name, tx := range map[string]*Tx{"zero": {}, "nil": nil, "ended": ended} {
		if _, err := tx.Get(ctx, "k"); !errors.Is(err, ErrTxDone) {
			t.Errorf("%s: Get error %v, want ErrTxDone", name, err)
		}
		if _, err := tx.Prefix(ctx, "k"); !errors.Is(err, ErrTxDone) {
			t.Errorf("%s: Prefix error %v, want ErrTxDone", name, err)
		}
		tx.Put("k", "v")
		tx.PutWithLease("k", "v", 1)
		tx.Delete("k")
		if tx != nil && len(tx.writes) != 0 {
			t.Errorf("%s: a write outside the attempt was buffered", name)
		}
		_ = tx.Attempt()
		_ = tx.Isolation()
	}
}

// TestInvalidInAttempt: invalid keys and leases fail the attempt with a
// field error, and nothing is buffered.
func TestInvalidInAttempt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		do    func(tx *Tx) error
		field string
	}{
		{"get empty", func(tx *Tx) error { _, err := tx.Get(ctx, ""); return err }, "key"},
		{"range empty end", func(tx *Tx) error { _, err := tx.Range(ctx, "a", ""); return err }, "range_end"},
		{"range backwards", func(tx *Tx) error { _, err := tx.Range(ctx, "b", "a"); return err }, "range_end"},
		{"put empty", func(tx *Tx) error { tx.Put("", "v"); return nil }, "key"},
		{"delete empty", func(tx *Tx) error { tx.Delete(""); return nil }, "key"},
		{"negative lease", func(tx *Tx) error { tx.PutWithLease("k", "v", -1); return nil }, "lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := testTx(SerializableSnapshot, nil)
			err := tc.do(tx)
			var fe *FieldError
			if !errors.As(tx.err, &fe) || fe.Field != tc.field || !errors.Is(tx.err, ErrInvalidRequest) {
				t.Fatalf("attempt error %v, want a field error on %q", tx.err, tc.field)
			}
			if err != nil && err != tx.err {
				t.Errorf("returned %v, recorded %v", err, tx.err)
			}
			if len(tx.writes) != 0 {
				t.Errorf("invalid write buffered: %v", tx.writes)
			}
		})
	}
}

func TestSpans(t *testing.T) {
	all := mustSpan(t, keys.Prefix, "", "")
	p := mustSpan(t, keys.Prefix, "p/", "")
	from := mustSpan(t, keys.Range, "m", "\x00")
	r := mustSpan(t, keys.Range, "p/a", "p/c")
	ff := mustSpan(t, keys.Prefix, "a\xff", "")
	for _, c := range []struct {
		s    span
		key  string
		want bool
	}{
		{all, "\x00", true}, {all, "zzz", true},
		{p, "p/", true}, {p, "p/x", true}, {p, "p0", false}, {p, "p", false},
		{from, "m", true}, {from, "\xff\xff", true}, {from, "l", false},
		{r, "p/a", true}, {r, "p/b\xff", true}, {r, "p/c", false},
		{ff, "a\xff\x01", true}, {ff, "b", false},
		{single("k"), "k", true}, {single("k"), "k\x00", false}, {single("k"), "j", false},
	} {
		if got := c.s.contains(c.key); got != c.want {
			t.Errorf("%+v contains %q = %v", c.s, c.key, got)
		}
	}
	for _, c := range []struct {
		a, b span
		want bool
	}{
		{all, p, true}, {p, all, false}, {p, r, true}, {r, p, false}, {from, p, true},
		{p, from, false}, {all, from, true}, {p, single("p/x"), true}, {single("p/x"), p, false},
		{single("k"), single("k"), true}, {from, all, false},
	} {
		if got := c.a.covers(c.b); got != c.want {
			t.Errorf("%+v covers %+v = %v", c.a, c.b, got)
		}
	}
}
