package op

import (
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
)

// spareBase builds a transaction whose three slices have spare capacity, so
// that a naive append in If/Then/Else would write into a backing array
// shared with its siblings.
func spareBase(t *testing.T) Txn {
	t.Helper()
	conds := make([]compare.Cond, 0, 16)
	then := make([]Op, 0, 16)
	els := make([]Op, 0, 16)
	for i := range 4 {
		k := "base" + strconv.Itoa(i)
		conds = append(conds, compare.Key(k).Version(compare.Greater, 0))
		then = append(then, Put(kv.New().WithKey(k).WithValue("v")))
		els = append(els, Get(kv.New().WithKey(k)))
	}
	base := Txn{conds: conds[:2], then: then[:2], els: els[:2]}
	if cap(base.conds) <= len(base.conds) || cap(base.then) <= len(base.then) || cap(base.els) <= len(base.els) {
		t.Fatalf("base has no spare capacity: %d/%d %d/%d %d/%d",
			len(base.conds), cap(base.conds), len(base.then), cap(base.then), len(base.els), cap(base.els))
	}
	return base
}

func compiled(t *testing.T, txn Txn) *pb.TxnRequest {
	t.Helper()
	m, err := txn.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSiblingsDoNotAlias derives If/Then/Else siblings from a base with spare
// capacity, in parallel (run with -race), and checks base and siblings.
func TestSiblingsDoNotAlias(t *testing.T) {
	base := spareBase(t)
	want := compiled(t, base)
	if len(want.Compare) != 2 || len(want.Success) != 2 || len(want.Failure) != 2 {
		t.Fatalf("base compiles to %d/%d/%d parts, want 2/2/2", len(want.Compare), len(want.Success), len(want.Failure))
	}

	const n = 48
	siblings := make([]Txn, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := "sib" + strconv.Itoa(i)
			switch i % 3 {
			case 0:
				siblings[i] = base.If(compare.Key(k).ModRevision(compare.Equal, int64(i)))
			case 1:
				siblings[i] = base.Then(Put(kv.New().WithKey(k).WithValue(k)))
			case 2:
				siblings[i] = base.Else(Delete(kv.New().WithKey(k)))
			}
			if _, err := base.Compile(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	if d := cmp.Diff(want, compiled(t, base), protocmp.Transform()); d != "" {
		t.Fatalf("base changed (-before +after):\n%s", d)
	}
	if len(base.conds) != 2 || len(base.then) != 2 || len(base.els) != 2 {
		t.Fatalf("base lengths changed")
	}
	for i, s := range siblings {
		k := "sib" + strconv.Itoa(i)
		got := compiled(t, s)
		exp := compiled(t, base)
		switch i % 3 {
		case 0:
			exp.Compare = append(exp.Compare, &pb.Compare{Key: []byte(k), Target: pb.Compare_MOD, Result: pb.Compare_EQUAL,
				TargetUnion: &pb.Compare_ModRevision{ModRevision: int64(i)}})
		case 1:
			exp.Success = append(exp.Success, &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(k)}}})
		case 2:
			exp.Failure = append(exp.Failure, &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: []byte(k)}}})
		}
		if d := cmp.Diff(exp, got, protocmp.Transform()); d != "" {
			t.Errorf("sibling %d (-want +got):\n%s", i, d)
		}
	}
}

// TestAppendClippedNaiveWouldAlias shows the scenario is real: without
// clipping, two appends on the base would share its backing array.
func TestAppendClippedNaiveWouldAlias(t *testing.T) {
	base := spareBase(t)
	a := append(base.conds, compare.Missing("a"))
	b := append(base.conds, compare.Missing("b"))
	if a[2] == compare.Missing("a") {
		t.Fatal("naive append did not alias; the test base is not exercising spare capacity")
	}
	x := appendClipped(base.conds, []compare.Cond{compare.Missing("a")})
	y := appendClipped(base.conds, []compare.Cond{compare.Missing("b")})
	if x[2] != compare.Missing("a") || y[2] != compare.Missing("b") || b[2] != compare.Missing("b") {
		t.Fatalf("appendClipped aliased: %+v %+v", x[2], y[2])
	}
	if got := appendClipped(base.conds, nil); len(got) != 2 {
		t.Fatalf("appendClipped with nothing: len %d", len(got))
	}
}

// TestVariadicNotRetained mutates the caller's slices after If/Then/Else:
// the transaction must not see it.
func TestVariadicNotRetained(t *testing.T) {
	cs := []compare.Cond{compare.Missing("a"), compare.Missing("b")}
	th := []Op{Put(kv.New().WithKey("a")), Put(kv.New().WithKey("b"))}
	el := []Op{Get(kv.New().WithKey("a"))}
	txn := If(cs...).Then(th...).Else(el...)
	also := NewTxn().If(cs...) // the method form too
	want := compiled(t, txn)
	wantAlso := compiled(t, also)

	cs[0] = compare.Cond{}
	cs[1] = compare.Exists("zzz")
	th[0] = Op{}
	el[0] = Delete(kv.New().WithKey("zzz"))

	if d := cmp.Diff(want, compiled(t, txn), protocmp.Transform()); d != "" {
		t.Fatalf("txn follows the caller's slices (-before +after):\n%s", d)
	}
	if d := cmp.Diff(wantAlso, compiled(t, also), protocmp.Transform()); d != "" {
		t.Fatalf("txn follows the caller's slice (-before +after):\n%s", d)
	}
	if string(want.Compare[0].Key) != "a" || string(want.Success[0].GetRequestPut().Key) != "a" || string(want.Failure[0].GetRequestRange().Key) != "a" {
		t.Fatalf("unexpected base message %v", want)
	}
}

// TestPublicChainHasSpareCapacity builds the base with the public API only:
// growing a slice one entry at a time leaves spare capacity, which is
// exactly when a naive append would let siblings overwrite each other.
func TestPublicChainHasSpareCapacity(t *testing.T) {
	base := If(compare.Missing("a")).If(compare.Missing("b")).If(compare.Missing("c"))
	base = base.Then(Put(kv.New().WithKey("a"))).Then(Put(kv.New().WithKey("b"))).Then(Put(kv.New().WithKey("c")))
	if cap(base.conds) <= len(base.conds) || cap(base.then) <= len(base.then) {
		t.Fatalf("expected spare capacity, got conds %d/%d then %d/%d", len(base.conds), cap(base.conds), len(base.then), cap(base.then))
	}
	x := base.If(compare.Missing("x")).Then(Put(kv.New().WithKey("x")))
	y := base.If(compare.Missing("y")).Then(Put(kv.New().WithKey("y")))
	mx, my := compiled(t, x), compiled(t, y)
	if string(mx.Compare[3].Key) != "x" || string(my.Compare[3].Key) != "y" ||
		string(mx.Success[3].GetRequestPut().Key) != "x" || string(my.Success[3].GetRequestPut().Key) != "y" {
		t.Fatalf("siblings share entries: x=%q/%q y=%q/%q", mx.Compare[3].Key, mx.Success[3].GetRequestPut().Key,
			my.Compare[3].Key, my.Success[3].GetRequestPut().Key)
	}
	if m := compiled(t, base); len(m.Compare) != 3 || len(m.Success) != 3 {
		t.Fatalf("base grew: %d compares, %d ops", len(m.Compare), len(m.Success))
	}
}
