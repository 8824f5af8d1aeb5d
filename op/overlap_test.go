package op_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
)

// probes are the keys put by the overlap table, in key order: both sides of
// every boundary of the delete forms below.
var probes = []string{"\x00", "a", "b", "b\x00", "ba", "b\xff", "b\xff\x00", "c", "d", "\xff", "\xff\x00", "\xff\xff"}

// deleteForms lists one delete of every range form with the probes it
// removes, written out by hand rather than computed.
var deleteForms = []struct {
	name   string
	req    kv.Request
	covers []string
}{
	{"point", kv.New().WithKey("b"), []string{"b"}},
	{"point 0xff-ending", kv.New().WithKey("b\xff"), []string{"b\xff"}},
	{"point zero byte", kv.New().WithKey("\x00"), []string{"\x00"}},
	{"range", kv.New().WithKey("b").WithRangeEnd("d"), []string{"b", "b\x00", "ba", "b\xff", "b\xff\x00", "c"}},
	{"range inside a prefix", kv.New().WithKey("b\x00").WithRangeEnd("b\xff"), []string{"b\x00", "ba"}},
	{"range to a 0xff-ending key", kv.New().WithKey("a").WithRangeEnd("b\xff"), []string{"a", "b", "b\x00", "ba"}},
	{"range to \\x00 (from key)", kv.New().WithKey("b").WithRangeEnd("\x00"), []string{"b", "b\x00", "ba", "b\xff", "b\xff\x00", "c", "d", "\xff", "\xff\x00", "\xff\xff"}},
	{"prefix", kv.New().WithKey("b").WithPrefix(), []string{"b", "b\x00", "ba", "b\xff", "b\xff\x00"}},
	{"prefix 0xff-ending", kv.New().WithKey("b\xff").WithPrefix(), []string{"b\xff", "b\xff\x00"}},
	{"prefix all 0xff", kv.New().WithKey("\xff").WithPrefix(), []string{"\xff", "\xff\x00", "\xff\xff"}},
	{"prefix all 0xff, two bytes", kv.New().WithKey("\xff\xff").WithPrefix(), []string{"\xff\xff"}},
	{"prefix of the empty key", kv.New().WithKey("").WithPrefix(), probes},
	{"from key", kv.New().WithKey("b").WithFromKey(), []string{"b", "b\x00", "ba", "b\xff", "b\xff\x00", "c", "d", "\xff", "\xff\x00", "\xff\xff"}},
	{"from 0xff", kv.New().WithKey("\xff").WithFromKey(), []string{"\xff", "\xff\x00", "\xff\xff"}},
	{"from the empty key", kv.New().WithKey("").WithFromKey(), probes},
	{"from the zero byte", kv.New().WithKey("\x00").WithFromKey(), probes},
	{"all keys", kv.New().WithAll(), probes},
}

// placement puts two operations a and b (a runs first) somewhere in a
// transaction. first and second are their positions, or both "" when a and
// b never run together.
type placement struct {
	name          string
	build         func(a, b op.Op) op.Txn
	first, second string
}

var (
	cond = compare.Exists("cond")
	read = op.Get(kv.New().WithKey("b").WithPrefix())
)

var placements = []placement{
	{"then", func(a, b op.Op) op.Txn { return op.NewTxn().Then(a, b) }, "success[0]", "success[1]"},
	{"else, after a get", func(a, b op.Op) op.Txn { return op.If(cond).Else(read, a, b) }, "failure[1]", "failure[2]"},
	{"then and else", func(a, b op.Op) op.Txn { return op.If(cond).Then(a).Else(b) }, "", ""},
	{"outer, nested then", func(a, b op.Op) op.Txn { return op.NewTxn().Then(a, op.Nested(op.If(cond).Then(b))) },
		"success[0]", "success[1].success[0]"},
	{"outer, nested else", func(a, b op.Op) op.Txn { return op.NewTxn().Then(a, op.Nested(op.If(cond).Else(b))) },
		"success[0]", "success[1].failure[0]"},
	{"nested then, outer", func(a, b op.Op) op.Txn { return op.NewTxn().Then(op.Nested(op.If(cond).Then(a)), b) },
		"success[0].success[0]", "success[1]"},
	{"nested else, outer, in else", func(a, b op.Op) op.Txn { return op.If(cond).Else(op.Nested(op.If(cond).Else(a)), b) },
		"failure[0].failure[0]", "failure[1]"},
	{"one nested branch", func(a, b op.Op) op.Txn { return op.NewTxn().Then(op.Nested(op.If(cond).Then(read, a, b))) },
		"success[0].success[1]", "success[0].success[2]"},
	{"nested then and else", func(a, b op.Op) op.Txn { return op.NewTxn().Then(op.Nested(op.If(cond).Then(a).Else(b))) }, "", ""},
	{"sibling nested", func(a, b op.Op) op.Txn {
		return op.NewTxn().Then(op.Nested(op.If(cond).Then(a)), op.Nested(op.If(cond).Else(b)))
	}, "success[0].success[0]", "success[1].failure[0]"},
	{"sibling nested in else", func(a, b op.Op) op.Txn {
		return op.If(cond).Else(op.Nested(op.If(cond).Else(a)), read, op.Nested(op.If(cond).Then(b)))
	}, "failure[0].failure[0]", "failure[2].success[0]"},
	{"deep", func(a, b op.Op) op.Txn {
		return op.If(cond).Else(op.Nested(op.If(cond).Then(op.Nested(op.If(cond).Else(a)))), b)
	}, "failure[0].success[0].failure[0]", "failure[1]"},
	{"deep, apart", func(a, b op.Op) op.Txn {
		return op.NewTxn().Then(op.Nested(op.If(cond).Then(op.Nested(op.NewTxn().Then(a))).Else(b)))
	}, "", ""},
	{"then, nested in else", func(a, b op.Op) op.Txn { return op.If(cond).Then(a).Else(op.Nested(op.NewTxn().Then(b))) }, "", ""},
}

// TestOverlapTable compiles every pair of write kinds and range forms in
// every placement: two puts overlap when their keys are equal, a put and a
// delete when the delete removes the put's key, two deletes never; and only
// when both may run.
func TestOverlapTable(t *testing.T) {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	var filler []op.Op
	for i := range 16 {
		filler = append(filler, op.Delete(kv.New().WithKey("f/"+strconv.Itoa(i))))
	}
	for i := range 5 {
		filler = append(filler, op.Delete(kv.New().WithKey("g/"+strconv.Itoa(i)).WithPrefix()))
	}
	n := 0
	check := func(name string, pl placement, a, b op.Op, overlap bool, key string) {
		t.Helper()
		// Each transaction again with more writes that overlap nothing, past
		// the limits of the pair-by-pair comparisons: 16 deletes of one key
		// (checked with a hash table), and those and 5 deletes of a range
		// (checked by sorting).
		for _, txn := range []op.Txn{pl.build(a, b), pl.build(a, b).Then(filler[:16]...), pl.build(a, b).Then(filler...)} {
			n++
			m, err := txn.Compile()
			if !overlap || pl.first == "" {
				if err != nil {
					t.Errorf("%s, %s: %v, want no error", name, pl.name, err)
				}
				continue
			}
			if m != nil {
				t.Errorf("%s, %s: got a message with the error", name, pl.name)
			}
			wantOverlap(t, name+", "+pl.name, err, pl.first, a.Kind(), pl.second, b.Kind(), key)
		}
	}
	for _, pl := range placements {
		for _, k1 := range probes {
			for _, k2 := range probes {
				check("put "+strconv.Quote(k1)+", put "+strconv.Quote(k2), pl, put(k1), put(k2), k1 == k2, k1)
			}
		}
		for _, d := range deleteForms {
			del := op.Delete(d.req)
			for _, k := range probes {
				covered := slices.Contains(d.covers, k)
				check("delete "+d.name+", put "+strconv.Quote(k), pl, del, put(k), covered, k)
				check("put "+strconv.Quote(k)+", delete "+d.name, pl, put(k), del, covered, k)
			}
			for _, d2 := range deleteForms {
				check("delete "+d.name+", delete "+d2.name, pl, del, op.Delete(d2.req), false, "")
			}
		}
	}
	t.Logf("%d transactions", n)
}

// wantOverlap checks that err is an *OverlapError naming the two operations,
// and is found as ErrInvalidRequest and as a *FieldError naming the second.
func wantOverlap(t *testing.T, name string, err error, first string, firstKind op.Kind, second string, secondKind op.Kind, key string) {
	t.Helper()
	var oe *op.OverlapError
	if !errors.As(err, &oe) {
		t.Errorf("%s: err = %v, want an *op.OverlapError", name, err)
		return
	}
	if !errors.Is(err, op.ErrInvalidRequest) {
		t.Errorf("%s: errors.Is(%v, ErrInvalidRequest) = false", name, err)
	}
	if oe.First != first || oe.Second != second || oe.FirstKind != firstKind || oe.SecondKind != secondKind || oe.Key != key {
		t.Errorf("%s: OverlapError{%s %s, %s %s, key %q}, want {%s %s, %s %s, key %q}", name,
			oe.FirstKind, oe.First, oe.SecondKind, oe.Second, oe.Key, firstKind, first, secondKind, second, key)
	}
	var fe *op.FieldError
	if !errors.As(err, &fe) || fe.Pkg != "op" || fe.Req != "txn" || fe.Field != second || fe.Reason == "" {
		t.Errorf("%s: FieldError = %+v, want op txn naming %s", name, fe, second)
	}
}

// TestOverlapAllowed lists, by name, transactions etcd means to run.
func TestOverlapAllowed(t *testing.T) {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	del := func(r kv.Request) op.Op { return op.Delete(r) }
	get := func(r kv.Request) op.Op { return op.Get(r) }
	for _, tc := range []struct {
		name string
		txn  op.Txn
	}{
		{"distinct keys", op.NewTxn().Then(put("a"), put("b"), del(kv.New().WithKey("c")), put("ab"))},
		{"overlapping deletes", op.NewTxn().Then(del(kv.New().WithAll()), del(kv.New().WithKey("a").WithPrefix()),
			del(kv.New().WithKey("a")), del(kv.New().WithKey("a").WithFromKey()), del(kv.New().WithKey("a").WithRangeEnd("z")))},
		{"reads anywhere", op.If(compare.Key("a").Version(compare.Equal, 1), compare.Prefix("").Version(compare.Greater, 0)).
			Then(get(kv.New().WithKey("a")), put("a"), get(kv.New().WithAll()), get(kv.New().WithKey("a").WithFromKey()),
				op.Nested(op.NewTxn().Then(get(kv.New().WithKey("a").WithPrefix()))))},
		{"read of a deleted range", op.NewTxn().Then(del(kv.New().WithKey("a").WithPrefix()), get(kv.New().WithKey("a").WithPrefix()), put("b"))},
		{"put in then, same key in else", op.If(cond).Then(put("a")).Else(put("a"), del(kv.New().WithKey("b")))},
		{"put in then, delete of every key in else", op.If(cond).Then(put("a"), put("b")).Else(del(kv.New().WithAll()))},
		{"nested then and else", op.NewTxn().Then(op.Nested(op.If(cond).Then(put("a"), put("b")).Else(del(kv.New().WithAll()))))},
		{"nested then and else, twice apart", op.If(cond).
			Then(op.Nested(op.If(cond).Then(put("a")).Else(del(kv.New().WithKey("a"))))).
			Else(op.Nested(op.If(cond).Then(put("a")).Else(put("a"))))},
		{"range end is exclusive", op.NewTxn().Then(del(kv.New().WithKey("a").WithRangeEnd("c")), put("c"))},
		{"0xff-ending prefix stops before the next key", op.NewTxn().Then(del(kv.New().WithKey("a\xff").WithPrefix()), put("b"), put("a"))},
		{"all-0xff prefix starts at its key", op.NewTxn().Then(del(kv.New().WithKey("\xff").WithPrefix()), put("\xfe\xff"))},
		{"from key starts at its key", op.NewTxn().Then(del(kv.New().WithKey("b").WithFromKey()), put("a"), put("a\xff"))},
		{"prefix is not a from key", op.NewTxn().Then(del(kv.New().WithKey("b").WithPrefix()), put("c"), put("a"))},
		{"empty", op.NewTxn()},
		{"one put", op.NewTxn().Then(put("a"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.txn.Compile(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The transaction of issue 9, which panics etcd v3.7.3 when sent: a
// from-key delete of "k" and then a put of "k" that keeps its old value.
func TestOverlapFromKeyIgnoreValue(t *testing.T) {
	txn := op.NewTxn().Then(
		op.Delete(kv.New().WithKey("k").WithFromKey()),
		op.Put(kv.New().WithKey("k").WithIgnoreValue()),
	)
	_, err := txn.Compile()
	wantOverlap(t, "compile", err, "success[0]", op.KindDelete, "success[1]", op.KindPut, "k")
	const msg = `op: invalid txn request: success[1]: put of "k" writes a key deleted by success[0] (every key from "k" on); ` +
		`etcd allows one write of a key in a branch, nested transactions included`
	if err == nil || err.Error() != msg {
		t.Errorf("message:\n got %v\nwant %s", err, msg)
	}
	// The compile getcd's connections use refuses it too.
	if _, err := txnWire(txn, wire.Alias); !errors.Is(err, op.ErrInvalidRequest) {
		t.Errorf("wire compile: %v, want ErrInvalidRequest", err)
	}
	// And so does a nested transaction compiled alone.
	_, err = op.Nested(txn).Compile()
	wantOverlap(t, "nested op", err, "success[0]", op.KindDelete, "success[1]", op.KindPut, "k")
	_, err = op.NewTxn().Then(op.Nested(txn)).Compile()
	wantOverlap(t, "nested in a txn", err, "success[0].success[0]", op.KindDelete, "success[0].success[1]", op.KindPut, "k")
}

func TestOverlapMessages(t *testing.T) {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	for _, tc := range []struct {
		txn op.Txn
		msg string
	}{
		{op.NewTxn().Then(put("a"), put("a")),
			`success[1]: put of "a" writes the key put by success[0]`},
		{op.NewTxn().Then(put("b"), op.Delete(kv.New().WithKey("a").WithRangeEnd("c"))),
			`success[1]: delete of keys ["a", "c") removes "b", put by success[0]`},
		{op.If(cond).Else(op.Delete(kv.New().WithAll()), put("\xff")),
			`failure[1]: put of "\xff" writes a key deleted by failure[0] (every key)`},
		{op.NewTxn().Then(op.Nested(op.NewTxn().Then(put("a"))), op.Nested(op.If(cond).Else(op.Delete(kv.New().WithKey("a"))))),
			`success[1].failure[0]: delete of key "a" removes "a", put by success[0].success[0]`},
	} {
		_, err := tc.txn.Compile()
		want := "op: invalid txn request: " + tc.msg + "; etcd allows one write of a key in a branch, nested transactions included"
		if err == nil || err.Error() != want {
			t.Errorf("message:\n got %v\nwant %s", err, want)
		}
	}
}

// TestOverlapFirstPair checks which pair is named when several overlap: the
// first operation, in the order etcd runs them, that overlaps an earlier
// one, and the earliest of those; for small transactions (compared pair by
// pair) and big ones (sorted by key) alike.
func TestOverlapFirstPair(t *testing.T) {
	put := func(k string) op.Op { return op.Put(kv.New().WithKey(k).WithValue("v")) }
	for _, filler := range []int{0, 40} {
		ops := []op.Op{put("z"), op.Delete(kv.New().WithKey("m").WithFromKey()), put("b"), put("b"), put("z"), put("b")}
		for i := range filler {
			ops = append(ops, put("f/"+strconv.Itoa(i)))
		}
		_, err := op.NewTxn().Then(ops...).Compile()
		name := "filler " + strconv.Itoa(filler)
		// success[1] deletes z put by success[0]: that pair comes first.
		wantOverlap(t, name, err, "success[0]", op.KindPut, "success[1]", op.KindDelete, "z")

		ops[1] = read
		_, err = op.NewTxn().Then(ops...).Compile()
		wantOverlap(t, name+", no delete", err, "success[2]", op.KindPut, "success[3]", op.KindPut, "b")
	}
}

// TestOverlapBig checks transactions past the pairwise limit: the biggest
// branch etcd allows by default, nested transactions and their positions.
func TestOverlapBig(t *testing.T) {
	ok := putsTxn(op.DefaultMaxOps)
	if _, err := ok.Compile(); err != nil {
		t.Fatal(err)
	}
	ops := ok.ThenOps()
	ops[127] = op.Put(kv.New().WithKey("key/5"))
	_, err := op.NewTxn().Then(ops...).Compile()
	wantOverlap(t, "128 puts", err, "success[5]", op.KindPut, "success[127]", op.KindPut, "key/5")

	// 30 nested transactions, each with a put of one key in then and in
	// else, and a delete in else of the last one's put.
	var nested []op.Op
	for i := range 30 {
		k := "n/" + strconv.Itoa(i)
		nested = append(nested, op.Nested(op.If(cond).Then(op.Put(kv.New().WithKey(k))).Else(op.Put(kv.New().WithKey(k)), read)))
	}
	txn := op.If(cond).Then(nested...).Else(nested...).WithMaxOps(64)
	if _, err := txn.Compile(); err != nil {
		t.Fatal(err)
	}
	last := op.Nested(op.If(cond).Else(op.Delete(kv.New().WithKey("n/2").WithPrefix())))
	_, err = txn.Else(last).Compile()
	wantOverlap(t, "nested", err, "failure[2].success[0]", op.KindPut, "failure[30].failure[0]", op.KindDelete, "n/2")
}
