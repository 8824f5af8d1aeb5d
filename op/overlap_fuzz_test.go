package op_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/fuzzbytes"
	"github.com/getcd/getcd/op"
)

// The overlap check against a reference that knows nothing of range ends:
// it enumerates every way a transaction can run (each nested transaction
// taking its success or its failure branch) and reads each delete by what it
// was asked to remove.

// fuzzKeys are the keys the generated operations use.
var fuzzKeys = []string{"\x00", "a", "a\x00", "a\xff", "ab", "b", "\xff", "\xff\xff"}

// Delete forms of the model.
const (
	formPoint = iota
	formRange
	formPrefix
	formFromKey
	formAll
	formCount
)

// mop is a generated operation: what it was asked to do, and its builder.
type mop struct {
	kind      op.Kind
	key, end  string
	form      int
	then, els []mop
}

func (m mop) op() op.Op {
	r := kv.New().WithKey(m.key)
	switch m.kind {
	case op.KindPut:
		return op.Put(r.WithValue("v"))
	case op.KindGet:
		return op.Get(r)
	case op.KindTxn:
		return op.Nested(mtxn(m.then, m.els))
	}
	switch m.form {
	case formRange:
		r = r.WithRangeEnd(m.end)
	case formPrefix:
		r = r.WithPrefix()
	case formFromKey:
		r = r.WithFromKey()
	case formAll:
		r = kv.New().WithAll()
	}
	return op.Delete(r)
}

func mtxn(then, els []mop) op.Txn {
	t := op.If(compare.Exists("c"))
	for _, m := range then {
		t = t.Then(m.op())
	}
	for _, m := range els {
		t = t.Else(m.op())
	}
	return t
}

// removes reports whether the delete d removes key, from what d asked for.
func (d mop) removes(key string) bool {
	switch d.form {
	case formPoint:
		return key == d.key
	case formRange:
		return key >= d.key && (d.end == "\x00" || key < d.end)
	case formPrefix:
		return strings.HasPrefix(key, d.key)
	case formFromKey:
		return key >= d.key
	}
	return true
}

// mdecoder reads a model transaction; it makes at most maxNested nested
// transactions, so that the executions stay few.
type mdecoder struct {
	fuzzbytes.Decoder
	nested int
}

const maxNested = 6

func decodeMops(d *mdecoder, depth int) []mop {
	ops := make([]mop, d.Byte()%5)
	for i := range ops {
		key := fuzzKeys[int(d.Byte())%len(fuzzKeys)]
		switch c := d.Byte() % 8; {
		case c < 3:
			ops[i] = mop{kind: op.KindPut, key: key}
		case c == 3:
			ops[i] = mop{kind: op.KindGet, key: key}
		case c < 7 || depth >= 3 || d.nested >= maxNested:
			m := mop{kind: op.KindDelete, key: key, form: int(d.Byte()) % formCount}
			if m.form == formRange {
				m.end = "\x00"
				for _, k := range fuzzKeys {
					if k > key && d.Byte()%2 == 0 {
						m.end = k
						break
					}
				}
			}
			if (m.form == formPrefix || m.form == formFromKey) && d.Byte()%4 == 0 {
				m.key = ""
			}
			ops[i] = m
		default:
			d.nested++
			ops[i] = mop{kind: op.KindTxn, then: decodeMops(d, depth+1), els: decodeMops(d, depth+1)}
		}
	}
	return ops
}

// rwrite is a write as the reference sees it.
type rwrite struct {
	m   mop
	pos string
	seq int
}

// executions returns every list of writes one run of ops may make, and
// numbers the writes in the order etcd runs them.
func executions(ops []mop, pos string, seq *int) [][]rwrite {
	runs := [][]rwrite{nil}
	for i, m := range ops {
		p := pos + "[" + strconv.Itoa(i) + "]"
		switch m.kind {
		case op.KindPut, op.KindDelete:
			w := rwrite{m, p, *seq}
			*seq++
			for j := range runs {
				runs[j] = append(runs[j][:len(runs[j]):len(runs[j])], w)
			}
		case op.KindTxn:
			var next [][]rwrite
			then := executions(m.then, p+".success", seq)
			els := executions(m.els, p+".failure", seq)
			for _, r := range runs {
				for _, sub := range append(then, els...) {
					next = append(next, append(r[:len(r):len(r)], sub...))
				}
			}
			runs = next
		}
	}
	return runs
}

// conflict reports whether two writes that run together overlap, and the
// key they share.
func conflict(a, b mop) (string, bool) {
	switch {
	case a.kind == op.KindPut && b.kind == op.KindPut:
		return a.key, a.key == b.key
	case a.kind == op.KindPut:
		return a.key, b.removes(a.key)
	case b.kind == op.KindPut:
		return b.key, a.removes(b.key)
	}
	return "", false
}

// overlapPair is a pair of writes that the reference finds overlapping.
type overlapPair struct {
	first, second rwrite
	key           string
}

// referenceOverlaps returns every pair of writes of txn's branches that run
// together in some execution and overlap, first in the order etcd runs them.
func referenceOverlaps(then, els []mop) []overlapPair {
	seen := map[[2]int]bool{}
	var pairs []overlapPair
	seq := 0
	for _, runs := range [][][]rwrite{executions(then, "success", &seq), executions(els, "failure", &seq)} {
		for _, run := range runs {
			for j := range run {
				for i := range j {
					key, ok := conflict(run[i].m, run[j].m)
					if ok && !seen[[2]int{run[i].seq, run[j].seq}] {
						seen[[2]int{run[i].seq, run[j].seq}] = true
						pairs = append(pairs, overlapPair{run[i], run[j], key})
					}
				}
			}
		}
	}
	return pairs
}

// checkAgainstReference compiles the transaction and compares the verdict
// and the pair named with the reference.
func checkAgainstReference(t *testing.T, then, els []mop) {
	t.Helper()
	pairs := referenceOverlaps(then, els)
	_, err := mtxn(then, els).Compile()
	if len(pairs) == 0 {
		if err != nil {
			t.Errorf("reference finds no overlap, compile: %v", err)
		}
		return
	}
	want := pairs[0]
	for _, p := range pairs[1:] {
		if p.second.seq < want.second.seq || (p.second.seq == want.second.seq && p.first.seq < want.first.seq) {
			want = p
		}
	}
	wantOverlap(t, "compile", err, want.first.pos, want.first.m.kind, want.second.pos, want.second.m.kind, want.key)
}

func decodeTxnModel(data []byte) (then, els []mop) {
	d := &mdecoder{Decoder: fuzzbytes.Decoder{Data: data}}
	return decodeMops(d, 0), decodeMops(d, 0)
}

func FuzzTxnOverlap(f *testing.F) {
	f.Add([]byte{2, 1, 0, 1, 0}) // two puts of "a"
	f.Add([]byte{2, 1, 4, 3, 1, 0})
	f.Add([]byte{3, 0, 7, 2, 1, 0, 1, 5, 0, 0, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		then, els := decodeTxnModel(data)
		checkAgainstReference(t, then, els)
	})
}

// TestOverlapRandom runs the reference comparison on random transactions
// from a fixed seed.
func TestOverlapRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n := 4000
	if os.Getenv("GETCD_SOAK") != "" {
		n = 200000
	}
	overlapping := 0
	for range n {
		data := make([]byte, 8+rng.IntN(64))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		then, els := decodeTxnModel(data)
		if len(referenceOverlaps(then, els)) > 0 {
			overlapping++
		}
		checkAgainstReference(t, then, els)
		if t.Failed() {
			t.Fatalf("input %q", data)
		}
	}
	t.Logf("%d of %d transactions overlap", overlapping, n)
	if overlapping == 0 || overlapping == n {
		t.Errorf("the generator makes no useful mix")
	}
}
