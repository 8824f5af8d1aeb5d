package kvtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/op"
)

// TestOverlapCrashingTxnRefused sends, through getcd, the transaction that
// panics an etcd v3.7.3 server when it reaches one: a delete of every key
// from "k" on and a put of "k" that keeps its old value. getcd refuses it
// before sending; the key keeps its value and the server keeps serving.
func TestOverlapCrashingTxnRefused(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "k"
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("before")); err != nil {
		t.Fatal(err)
	}
	crash := op.NewTxn().Then(
		op.Delete(kv.New().WithKey(k).WithFromKey()),
		op.Put(kv.New().WithKey(k).WithIgnoreValue()),
	)
	_, err := c.Txn(ctx, crash)
	var oe *op.OverlapError
	if !errors.Is(err, conn.ErrInvalidRequest) || !errors.As(err, &oe) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Fatalf("txn = %v, want an *op.OverlapError before sending", err)
	}
	if oe.First != "success[0]" || oe.Second != "success[1]" || oe.Key != k {
		t.Errorf("OverlapError names %s and %s, key %q", oe.First, oe.Second, oe.Key)
	}
	// Nothing ran, and the server answers writes and reads.
	if got := getOne(t, c, k); string(got.Value) != "before" {
		t.Errorf("value after the refused txn = %q, want \"before\"", got.Value)
	}
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("after")); err != nil {
		t.Fatal(err)
	}
	if got := getOne(t, c, k); string(got.Value) != "after" {
		t.Errorf("value = %q, want \"after\"", got.Value)
	}
	// The same writes in the two branches are fine, and run.
	r, err := c.Txn(ctx, op.If(compare.Key(k).Value(compare.Equal, "after")).
		Then(op.Put(kv.New().WithKey(k).WithIgnoreValue())).
		Else(op.Delete(kv.New().WithKey(k).WithFromKey())))
	if err != nil || !r.Succeeded {
		t.Fatalf("txn with the writes apart: %v %+v", err, r)
	}
}

// The differential test of the overlap check against the server. Random
// transactions over a few keys, with every range form, nested transactions
// and puts that keep their old value, are compiled by getcd:
//
//   - each one getcd accepts is sent through getcd, and etcd must not refuse
//     it as a duplicate key;
//   - each one getcd refuses must overlap by the reference below (which
//     enumerates every way the transaction can run), and is sent raw only
//     as its "finite twin": every delete that runs to the end of the key
//     space replaced by one that stops past every key used, which removes
//     the same keys here. A transaction with such a delete is never sent
//     raw, since etcd's check misses those deletes (etcd-io/etcd#22445) and
//     one of them can panic the server. etcd must refuse the twin as a
//     duplicate key, unless every overlap is a put in a nested transaction
//     and a delete in a later nested transaction of the same branch, which
//     etcd's check misses too (etcd-io/etcd#16380): then etcd runs it, and
//     the put comes first, which cannot panic the server.
//
// So every refusal is one etcd makes itself, or one of those two upstream
// gaps, counted by class.

// overlapKeys are the keys the generated transactions use.
var overlapKeys = []string{"\x00", "a", "a\x00", "a\xff", "ab", "b", "\xff", "\xff\xff"}

// twinEnd sorts after every key of overlapKeys.
const twinEnd = "\xff\xff\xff"

// Delete forms.
const (
	fPoint = iota
	fRange
	fPrefix
	fFromKey
	fAll
	fCount
)

// fop is a generated operation: what it asks for.
type fop struct {
	kind      op.Kind
	key, end  string
	form      int
	ignore    bool   // a put that keeps the old value
	cond      string // a nested transaction's condition: the key exists
	then, els []fop
}

// allFF reports whether every byte of s is 0xff (true for ""): the prefix of
// such a key has no finite range end.
func allFF(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != 0xff {
			return false
		}
	}
	return true
}

// openEnded reports whether a delete runs to the end of the key space.
func (f fop) openEnded() bool {
	switch f.form {
	case fRange:
		return f.end == "\x00"
	case fPrefix:
		return allFF(f.key)
	case fFromKey, fAll:
		return true
	}
	return false
}

// removes reports whether the delete f removes key, from what f asks for.
func (f fop) removes(key string) bool {
	switch f.form {
	case fPoint:
		return key == f.key
	case fRange:
		return key >= f.key && (f.end == "\x00" || key < f.end)
	case fPrefix:
		return strings.HasPrefix(key, f.key)
	case fFromKey:
		return key >= f.key
	}
	return true
}

// op builds the operation; with twin, a delete to the end of the key space
// stops at twinEnd instead.
func (f fop) op(twin bool) op.Op {
	r := kv.New().WithKey(f.key)
	switch f.kind {
	case op.KindPut:
		if f.ignore {
			return op.Put(r.WithIgnoreValue())
		}
		return op.Put(r.WithValue("v"))
	case op.KindGet:
		return op.Get(r.WithPrefix())
	case op.KindTxn:
		return op.Nested(buildTxn(f.cond, f.then, f.els, twin))
	}
	if twin && f.openEnded() {
		start := f.key
		if start == "" || f.form == fAll {
			start = "\x00"
		}
		return op.Delete(kv.New().WithKey(start).WithRangeEnd(twinEnd))
	}
	switch f.form {
	case fRange:
		r = r.WithRangeEnd(f.end)
	case fPrefix:
		r = r.WithPrefix()
	case fFromKey:
		r = r.WithFromKey()
	case fAll:
		r = kv.New().WithAll()
	}
	return op.Delete(r)
}

func buildTxn(cond string, then, els []fop, twin bool) op.Txn {
	t := op.If(compare.Exists(cond))
	for _, f := range then {
		t = t.Then(f.op(twin))
	}
	for _, f := range els {
		t = t.Else(f.op(twin))
	}
	return t
}

// rawTxn is the message of buildTxn without getcd's overlap check: each
// operation compiled by getcd, the transactions assembled here.
func rawTxn(t *testing.T, cond string, then, els []fop, twin bool) *etcdserverpb.TxnRequest {
	t.Helper()
	c, err := compare.Exists(cond).Compile()
	if err != nil {
		t.Fatal(err)
	}
	ops := func(fs []fop) []*etcdserverpb.RequestOp {
		var out []*etcdserverpb.RequestOp
		for _, f := range fs {
			if f.kind == op.KindTxn {
				out = append(out, &etcdserverpb.RequestOp{Request: &etcdserverpb.RequestOp_RequestTxn{
					RequestTxn: rawTxn(t, f.cond, f.then, f.els, twin)}})
				continue
			}
			m, err := f.op(twin).Compile()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	return &etcdserverpb.TxnRequest{Compare: []*etcdserverpb.Compare{c}, Success: ops(then), Failure: ops(els)}
}

// fdecoder reads a generated transaction from fuzz bytes.
type fdecoder struct {
	fuzzbytes.Decoder
	nested int
}

func (d *fdecoder) key() string { return overlapKeys[int(d.Byte())%len(overlapKeys)] }

func (d *fdecoder) ops(depth int) []fop {
	ops := make([]fop, d.Byte()%4)
	for i := range ops {
		key := d.key()
		switch c := d.Byte() % 8; {
		case c < 3:
			ops[i] = fop{kind: op.KindPut, key: key, ignore: c == 2}
		case c == 3:
			ops[i] = fop{kind: op.KindGet, key: key}
		case c < 7 || depth >= 2 || d.nested >= 4:
			f := fop{kind: op.KindDelete, key: key, form: int(d.Byte()) % fCount}
			if f.form == fRange {
				f.end = "\x00"
				for _, k := range overlapKeys {
					if k > key && d.Byte()%2 == 0 {
						f.end = k
						break
					}
				}
			}
			if (f.form == fPrefix || f.form == fFromKey) && d.Byte()%4 == 0 {
				f.key = ""
			}
			ops[i] = f
		default:
			d.nested++
			ops[i] = fop{kind: op.KindTxn, cond: key, then: d.ops(depth + 1), els: d.ops(depth + 1)}
		}
	}
	return ops
}

// genTxn is one generated transaction.
type genTxn struct {
	cond      string
	then, els []fop
}

func decodeGen(data []byte) genTxn {
	d := &fdecoder{Decoder: fuzzbytes.Decoder{Data: data}}
	return genTxn{cond: d.key(), then: d.ops(0), els: d.ops(0)}
}

// fwrite is a put or delete with its place: its op index at each level,
// from the top, and its position in the order etcd runs operations.
type fwrite struct {
	f   fop
	idx []int
	seq int
}

// runs returns every list of writes one execution of ops may make.
func runs(ops []fop, idx []int, seq *int) [][]fwrite {
	out := [][]fwrite{nil}
	for i, f := range ops {
		ix := append(idx[:len(idx):len(idx)], i)
		switch f.kind {
		case op.KindPut, op.KindDelete:
			w := fwrite{f, ix, *seq}
			*seq++
			for j := range out {
				out[j] = append(out[j][:len(out[j]):len(out[j])], w)
			}
		case op.KindTxn:
			var next [][]fwrite
			t := runs(f.then, ix, seq)
			e := runs(f.els, ix, seq)
			for _, r := range out {
				for _, sub := range append(t, e...) {
					next = append(next, append(r[:len(r):len(r)], sub...))
				}
			}
			out = next
		}
	}
	return out
}

// overlap is a pair of writes that run together and write a common key.
type overlap struct {
	put, del *fwrite // del is nil for two puts
}

// open reports whether the delete runs to the end of the key space.
func (o overlap) open() bool { return o.del != nil && o.del.f.openEnded() }

// nestedGap reports whether etcd's check misses the pair although the
// delete is finite: the put sits in a nested transaction and the delete in
// a later nested transaction of the branch where their places part.
func (o overlap) nestedGap() bool {
	if o.del == nil {
		return false
	}
	p, d := o.put, o.del
	for l := 0; ; l++ { // both sit in the same branch at level l
		if p.idx[l] != d.idx[l] {
			return len(p.idx) > l+1 && len(d.idx) > l+1 && p.idx[l] < d.idx[l]
		}
		// the same nested transaction; they run together, so the same side
	}
}

// referenceOverlaps returns every pair of writes that run together in some
// execution and write a common key.
func referenceOverlaps(g genTxn) []overlap {
	seen := map[[2]int]bool{}
	var out []overlap
	seq := 0
	for _, ops := range [][]fop{g.then, g.els} {
		for _, run := range runs(ops, nil, &seq) {
			for b := range run {
				for a := range b {
					x, y := &run[a], &run[b]
					var o overlap
					switch {
					case x.f.kind == op.KindPut && y.f.kind == op.KindPut && x.f.key == y.f.key:
						o = overlap{put: x}
					case x.f.kind == op.KindPut && y.f.kind == op.KindDelete && y.f.removes(x.f.key):
						o = overlap{put: x, del: y}
					case y.f.kind == op.KindPut && x.f.kind == op.KindDelete && x.f.removes(y.f.key):
						o = overlap{put: y, del: x}
					default:
						continue
					}
					if !seen[[2]int{x.seq, y.seq}] {
						seen[[2]int{x.seq, y.seq}] = true
						out = append(out, o)
					}
				}
			}
		}
	}
	return out
}

// differential runs generated transactions against one etcd.
type differential struct {
	c   *conn.Conn
	raw etcdserverpb.KVClient
	// counts by outcome
	accepted, ran, etcdRefuses, openOnly, nestedGapOnly int
}

func newDifferential(t testing.TB) *differential {
	s := etcdtest.Start(t, etcdtest.WithDedicated()) // deletes every key
	c, err := conn.New(context.Background(), conn.Config{Endpoints: s.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cc, err := grpc.NewClient("passthrough:///"+s.Endpoints()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return &differential{c: c, raw: etcdserverpb.NewKVClient(cc)}
}

func (df *differential) check(t *testing.T, g genTxn) {
	t.Helper()
	ctx := testCtx(t)
	pairs := referenceOverlaps(g)
	txn := buildTxn(g.cond, g.then, g.els, false)
	_, err := txn.Compile()
	if err == nil {
		if len(pairs) > 0 {
			t.Fatalf("getcd accepts a txn whose writes overlap: %+v", g)
		}
		df.accepted++
		_, err := df.c.Txn(ctx, txn)
		if errors.Is(err, conn.ErrDuplicateKey) {
			t.Fatalf("getcd accepted a txn etcd refuses as a duplicate key: %v\n%+v", err, g)
		}
		if err == nil {
			df.ran++ // others put with WithIgnoreValue a key that is missing
		}
		return
	}
	var oe *op.OverlapError
	if !errors.As(err, &oe) || len(pairs) == 0 {
		t.Fatalf("compile = %v; reference overlaps: %d\n%+v", err, len(pairs), g)
	}
	if _, err := buildTxn(g.cond, g.then, g.els, true).Compile(); err == nil {
		t.Fatalf("getcd accepts the finite twin of a txn it refuses: %+v", g)
	}
	openOnly, caught := true, false
	for _, p := range pairs {
		openOnly = openOnly && p.open()
		caught = caught || !p.nestedGap()
	}
	_, err = df.raw.Txn(ctx, rawTxn(t, g.cond, g.then, g.els, true))
	refused := errors.Is(err, rpctypes.ErrGRPCDuplicateKey)
	switch {
	case caught && !refused:
		t.Fatalf("etcd ran the finite twin of a txn getcd refuses: %v\n%+v", err, g)
	case !caught && refused:
		t.Fatalf("etcd refused a txn whose only overlaps are in nested transactions, one after the other: %+v", g)
	case openOnly:
		df.openOnly++
	case !caught:
		df.nestedGapOnly++
	default:
		df.etcdRefuses++
	}
}

func randomGen(rng *rand.Rand) genTxn {
	data := make([]byte, 4+rng.IntN(40))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return decodeGen(data)
}

// overlapSeeds are transactions of every class, spelled out.
func overlapSeeds() []genTxn {
	put := func(k string) fop { return fop{kind: op.KindPut, key: k} }
	del := func(k string, form int) fop { return fop{kind: op.KindDelete, key: k, form: form} }
	nested := func(then, els []fop) fop { return fop{kind: op.KindTxn, cond: "a", then: then, els: els} }
	return []genTxn{
		{cond: "a", then: []fop{put("a"), put("b")}, els: []fop{put("a")}},                           // accepted
		{cond: "a", then: []fop{put("a"), put("a")}},                                                 // etcd refuses
		{cond: "a", then: []fop{del("a", fPrefix), put("ab")}},                                       // etcd refuses
		{cond: "a", then: []fop{del("a", fFromKey), {kind: op.KindPut, key: "b", ignore: true}}},     // open only
		{cond: "a", els: []fop{del("", fPrefix), put("\xff")}},                                       // open only
		{cond: "a", then: []fop{nested([]fop{put("b")}, nil), nested(nil, []fop{del("b", fPoint)})}}, // nested gap
		{cond: "a", then: []fop{nested([]fop{del("b", fPoint)}, nil), nested([]fop{put("b")}, nil)}}, // etcd refuses
	}
}

func TestOverlapAgainstEtcd(t *testing.T) {
	df := newDifferential(t)
	for i, g := range overlapSeeds() {
		t.Run("seed"+strconv.Itoa(i), func(t *testing.T) { df.check(t, g) })
	}
	n := 300
	if os.Getenv("GETCD_SOAK") != "" {
		n = 5000
	}
	rng := rand.New(rand.NewPCG(22445, 16380))
	for i := range n {
		if !t.Run("random"+strconv.Itoa(i), func(t *testing.T) { df.check(t, randomGen(rng)) }) {
			break
		}
	}
	t.Logf("accepted: %d, of which etcd ran %d; refused, and etcd refuses the finite twin: %d; refused for open-ended deletes only: %d; "+
		"refused for nested puts before nested deletes only, which etcd runs: %d",
		df.accepted, df.ran, df.etcdRefuses, df.openOnly, df.nestedGapOnly)
	if df.ran == 0 || df.etcdRefuses == 0 || df.openOnly == 0 || df.nestedGapOnly == 0 {
		t.Errorf("some class was never generated")
	}
	// The server still serves.
	if _, err := df.c.Put(testCtx(t), kv.New().WithKey("alive").WithValue("yes")); err != nil {
		t.Fatal(err)
	}
}

// FuzzOverlapAgainstEtcd is the differential test for the fuzzing engine:
// go test -run XXX -fuzz FuzzOverlapAgainstEtcd ./kvtest
func FuzzOverlapAgainstEtcd(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 2, 1, 4, 3, 1, 0, 0})
	df := newDifferential(f)
	f.Fuzz(func(t *testing.T, data []byte) { df.check(t, decodeGen(data)) })
}
