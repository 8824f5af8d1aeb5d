package op

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/wire"
)

// fieldsOf gives the fields of a transaction message, as the check sees a
// validated transaction.
func fieldsOf(m *pb.TxnRequest) *wire.TxnFields {
	f := &wire.TxnFields{}
	var add func(m *pb.TxnRequest, i int32)
	add = func(m *pb.TxnRequest, i int32) {
		var parts [2][]wire.OpFields
		for side, ops := range [2][]*pb.RequestOp{m.Success, m.Failure} {
			for _, o := range ops {
				var of wire.OpFields
				switch r := o.Request.(type) {
				case *pb.RequestOp_RequestPut:
					of.Kind, of.Put = wire.OpPut, wire.PutFields{Key: r.RequestPut.Key, Value: r.RequestPut.Value}
				case *pb.RequestOp_RequestDeleteRange:
					of.Kind, of.Delete = wire.OpDelete, wire.DeleteFields{Key: r.RequestDeleteRange.Key, End: r.RequestDeleteRange.RangeEnd}
				case *pb.RequestOp_RequestRange:
					of.Kind, of.Range = wire.OpRange, wire.RangeFields{Key: r.RequestRange.Key, End: r.RequestRange.RangeEnd}
				case *pb.RequestOp_RequestTxn:
					of.Kind, of.Txn = wire.OpTxn, int32(len(f.Nested))
					f.Nested = append(f.Nested, wire.TxnPart{})
					add(r.RequestTxn, of.Txn)
				}
				parts[side] = append(parts[side], of)
			}
		}
		f.Part(i).Success, f.Part(i).Failure = parts[0], parts[1]
	}
	add(m, wire.TopTxn)
	return f
}

// checkShapes are compiled transactions of several shapes, all valid, for
// the allocation test and the benchmark of the check alone.
func checkShapes(tb testing.TB) []checkShape {
	tb.Helper()
	put := func(k string) Op { return Put(kv.New().WithKey(k).WithValue("v")) }
	many := func(n int, prefix string) []Op {
		ops := make([]Op, n)
		for i := range ops {
			ops[i] = put(prefix + strconv.Itoa(i))
		}
		return ops
	}
	cond := compare.Missing("c")
	inner := func(p string) Op { return Nested(If(cond).Then(put(p+"x"), put(p+"y")).Else(put(p+"x"), put(p+"z"))) }
	txns := []struct {
		name   string
		txn    Txn
		pooled bool
	}{
		{"cas", If(cond).Then(put("a"), put("b")), false},
		{"small nested", If(cond).Then(put("a"), Nested(If(cond).Then(put("b")).Else(put("b"), put("c")))), false},
		{"puts=16", NewTxn().Then(many(16, "k/")...), true},
		{"nested", If(cond).Then(put("a"), inner("b/"), inner("c/"), put("d")).Else(put("a")), true},
		{"deletes", If(cond).Then(Delete(kv.New().WithKey("dir/").WithPrefix()), Delete(kv.New().WithKey("lock")), put("owner"), put("dir")).
			Else(Delete(kv.New().WithKey("tmp/").WithFromKey()), put("tmo")), false},
		{"puts=128", NewTxn().Then(many(128, "k/")...), true},
		{"deletes, puts=120", NewTxn().Then(append(many(120, "k/"), Delete(kv.New().WithKey("d/").WithPrefix()), Delete(kv.New().WithKey("z").WithFromKey()))...), true},
		{"nested, puts=8x8", NewTxn().Then(Nested(NewTxn().Then(many(8, "a/")...)), Nested(NewTxn().Then(many(8, "b/")...).Else(many(8, "b/")...)),
			Nested(NewTxn().Then(many(8, "c/")...)), Nested(NewTxn().Then(many(8, "d/")...))), true},
	}
	var out []checkShape
	for _, tc := range txns {
		if _, err := tc.txn.Compile(); err != nil {
			tb.Fatalf("%s: %v", tc.name, err)
		}
		f, err := tc.txn.fields(DefaultMaxOps, wire.Alias)
		if err != nil {
			tb.Fatalf("%s: %v", tc.name, err)
		}
		out = append(out, checkShape{tc.name, tc.txn, &f, tc.pooled})
	}
	return out
}

type checkShape struct {
	name   string
	txn    Txn
	m      *wire.TxnFields
	pooled bool // checked in memory from the pool
}

// TestCheckAllocs pins the check at no allocation: small transactions on
// the stack, bigger ones in pooled memory once the pool is warm.
func TestCheckAllocs(t *testing.T) {
	for _, sh := range checkShapes(t) {
		t.Run(sh.name, func(t *testing.T) {
			if sh.pooled && raceEnabled {
				t.Skip("sync.Pool drops items under -race")
			}
			var err error
			if got := testing.AllocsPerRun(1000, func() { err = checkOverlaps(sh.m) }); got != 0 {
				t.Errorf("%v allocs/op, want 0", got)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkCheckOverlaps(b *testing.B) {
	for _, sh := range checkShapes(b) {
		b.Run(sh.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := checkOverlaps(sh.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// randomTxn builds a transaction message of at most pairwiseMax writes in at
// most branchesMax branches over a few keys, with every range form.
func randomTxn(rng *rand.Rand) *pb.TxnRequest {
	keys := []string{"\x00", "a", "a\x00", "a\xff", "b", "\xff"}
	ends := []string{"", "\x00", "a\x00", "b", "c", "\xff\xff"}
	writes, branches := 0, 2 // the top level's two
	var ops func(depth int) []*pb.RequestOp
	ops = func(depth int) []*pb.RequestOp {
		var out []*pb.RequestOp
		for range rng.IntN(5) {
			k := []byte(keys[rng.IntN(len(keys))])
			switch c := rng.IntN(6); {
			case writes >= pairwiseMax:
				return out
			case c < 2:
				writes++
				out = append(out, &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: k}}})
			case c < 5 || depth > 2 || branches+2 > branchesMax:
				writes++
				d := &pb.DeleteRangeRequest{Key: k}
				if e := ends[rng.IntN(len(ends))]; e != "" && (e == "\x00" || e > string(k)) {
					d.RangeEnd = []byte(e)
				}
				out = append(out, &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: d}})
			default:
				branches += 2
				n := &pb.TxnRequest{Success: ops(depth + 1), Failure: ops(depth + 1)}
				out = append(out, &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: n}})
			}
		}
		return out
	}
	return &pb.TxnRequest{Success: ops(0), Failure: ops(0)}
}

// TestSortedMatchesPairwise checks that every way of checking names the same
// pair, or none.
func TestSortedMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	refused, hashed, flat, n := 0, 0, 0, 5000
	if os.Getenv("GETCD_SOAK") != "" {
		n = 200000
	}
	for range n {
		msg := randomTxn(rng)
		m := fieldsOf(msg)
		nw, nb, ranges := count(m, wire.TopTxn)
		if nw > pairwiseMax || nb > branchesMax {
			t.Fatalf("generated %d writes in %d branches", nw, nb)
		}
		if nw < 2 {
			continue
		}
		a, b := checkPairwise(m, nw, nb), checkPooled(m, nw, nb, true)
		if (a == nil) != (b == nil) || (a != nil && a.Error() != b.Error()) {
			t.Fatalf("pairwise: %v\nsorted: %v\ntxn: %v", a, b, msg)
		}
		if ranges <= scanMax {
			hashed++
			if c := checkPooled(m, nw, nb, false); (a == nil) != (c == nil) || (a != nil && a.Error() != c.Error()) {
				t.Fatalf("pairwise: %v\nhashed: %v\ntxn: %v", a, c, msg)
			}
		}
		if done, f := checkFlat(m); done {
			flat++
			if (a == nil) != (f == nil) || (a != nil && a.Error() != f.Error()) {
				t.Fatalf("pairwise: %v\nflat: %v\ntxn: %v", a, f, msg)
			}
		}
		if a != nil {
			refused++
		}
	}
	t.Logf("%d of %d refused; %d compared with the hash table, %d with the flat check", refused, n, hashed, flat)
	if refused < n/20 || refused > n-n/20 || hashed < n/20 || flat < n/20 {
		t.Errorf("the generator makes no useful mix")
	}
}
