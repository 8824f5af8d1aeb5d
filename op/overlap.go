package op

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"slices"
	"sync"

	"github.com/getcd/getcd/internal/wire"
)

// The check that no branch writes a key twice (see "Writes that overlap" in
// the package overview). It reads the compiled message, so that it judges
// exactly the bytes that would be sent, in Copy and Alias mode alike.

// write is one put or delete of a compiled transaction. Writes are kept in
// the order etcd runs them (depth first), so a write's position in
// writeSet.writes tells which of two runs first.
type write struct {
	key    []byte
	end    []byte // a delete's range_end: empty for one key, "\x00" for every key from key on
	branch int32  // index in writeSet.branches
	index  int32  // position of the operation in its branch
	put    bool
}

// branch is the success or failure list of the transaction or of a nested
// one.
type branch struct {
	parent  int32 // the branch holding the nested transaction; -1 at the top
	txn     int32 // the transaction this branch belongs to
	depth   int32
	index   int32 // position of the nested transaction in parent
	failure bool
}

// writeSet holds every write of a transaction and the branches they sit in.
// Its slices are sized by count before fill writes them.
type writeSet struct {
	writes   []write
	branches []branch
	nw, nb   int32 // writes and branches filled so far
	txns     int32 // transactions numbered so far
}

// The check takes one of four ways, by size; all name the same pair and
// none allocates once the pool is warm:
//
//   - checkFlat, for most transactions (no nested transaction, at most
//     flatMax operations a branch): every pair, straight from the message;
//   - checkPairwise, for the other ones of at most pairwiseMax writes in at
//     most branchesMax branches: every pair, on the stack;
//   - checkPooled, in memory reused through a pool, for the rest: a hash
//     table of the keys, and each delete of a range compared with every put
//     (O(n) when few deletes cover a range); past scanMax such deletes, the
//     writes sorted by key (O(n log n)); plus the overlaps found.
const (
	pairwiseMax = 8 // writes
	branchesMax = 8
	scanMax     = 4 // deletes of a range compared with every put
)

// checkOverlaps returns an *OverlapError when two writes of m may run
// together and write a common key.
func checkOverlaps(m *wire.TxnFields) error {
	if done, err := checkFlat(m); done {
		return err
	}
	nw, nb, ranges := count(m, wire.TopTxn)
	switch {
	case nw < 2:
		return nil
	case nw <= pairwiseMax && nb <= branchesMax:
		return checkPairwise(m, nw, nb)
	}
	return checkPooled(m, nw, nb, ranges > scanMax)
}

// flatMax is the most operations a branch may hold for checkFlat.
const flatMax = 8

// checkFlat checks m straight from the message when neither branch holds a
// nested transaction or more than flatMax operations; done is false
// otherwise.
func checkFlat(m *wire.TxnFields) (done bool, err error) {
	top := &m.Top
	if len(top.Success) > flatMax || len(top.Failure) > flatMax {
		return false, nil
	}
	if done, err = checkFlatBranch(top.Success, false); err != nil || !done {
		return done, err
	}
	return checkFlatBranch(top.Failure, true)
}

func checkFlatBranch(ops []wire.OpFields, failure bool) (done bool, err error) {
	if len(ops) < 2 {
		if len(ops) == 1 && ops[0].Kind == wire.OpTxn {
			return false, nil
		}
		return true, nil
	}
	var buf [flatMax]write
	w := buf[:0]
	for i := range ops {
		o := &ops[i]
		switch o.Kind {
		case wire.OpPut:
			w = append(w, write{key: o.Put.Key, index: int32(i), put: true})
		case wire.OpDelete:
			w = append(w, write{key: o.Delete.Key, end: o.Delete.End, index: int32(i)})
		case wire.OpTxn:
			return false, nil
		}
	}
	for j := 1; j < len(w); j++ {
		for i := range j {
			if writesOverlap(&w[i], &w[j]) {
				s := writeSet{branches: []branch{{parent: -1, failure: failure}}}
				return true, s.overlapError(w[i], w[j])
			}
		}
	}
	return true, nil
}

func checkPairwise(m *wire.TxnFields, nw, nb int) error {
	var wbuf [pairwiseMax]write
	var bbuf [branchesMax]branch
	s := writeSet{writes: wbuf[:nw], branches: bbuf[:nb]}
	s.fill(m, wire.TopTxn, -1, 0)
	w := s.writes
	for j := 1; j < len(w); j++ {
		b := &w[j]
		for i := range j {
			a := &w[i]
			if a.put && b.put && string(a.key) != string(b.key) {
				continue // the common case, decided inline
			}
			if s.overlap(a, b) {
				return s.overlapError(*a, *b)
			}
		}
	}
	return nil
}

// scratch is the memory of checkPooled.
type scratch struct {
	writes   []write
	branches []branch
	keys     []sortKey
	table    []int32
}

// sortKey orders writes by key: the first eight bytes of the key, padded
// with zero bytes and read big-endian, decide most comparisons.
type sortKey struct {
	head uint64
	i    int32 // index in writeSet.writes
}

func head(key []byte) uint64 {
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// scratchKeep is the most writes whose memory goes back to the pool.
const scratchKeep = 1 << 12

// checkPooled checks big transactions; sorted says whether more than
// scanMax deletes cover a range.
func checkPooled(m *wire.TxnFields, nw, nb int, sorted bool) error {
	sc := scratchPool.Get().(*scratch)
	sc.writes = slices.Grow(sc.writes[:0], nw)[:nw]
	sc.branches = slices.Grow(sc.branches[:0], nb)[:nb]
	s := writeSet{writes: sc.writes, branches: sc.branches}
	s.fill(m, wire.TopTxn, -1, 0)
	var (
		i, j  int32
		found bool
	)
	if sorted {
		sc.keys = slices.Grow(sc.keys[:0], nw)[:nw]
		i, j, found = s.sorted(sc.keys)
	} else {
		size := 1 << bits.Len(uint(2*nw-1)) // a power of two, at least twice nw
		sc.table = slices.Grow(sc.table[:0], size)[:size]
		i, j, found = s.hashed(sc.table)
	}
	var err error
	if found {
		err = s.overlapError(s.writes[i], s.writes[j])
	}
	clear(sc.writes) // keep no keys of the message alive
	if nw <= scratchKeep && nb <= scratchKeep {
		scratchPool.Put(sc)
	}
	return err
}

// count returns the number of writes of m.Part(t) and of its nested
// transactions, of their non-empty branches, and of the deletes among the
// writes that cover a range.
func count(m *wire.TxnFields, t int32) (writes, branches, ranges int) {
	p := m.Part(t)
	for _, ops := range [2][]wire.OpFields{p.Success, p.Failure} {
		if len(ops) > 0 {
			branches++
		}
		for i := range ops {
			o := &ops[i]
			switch o.Kind {
			case wire.OpPut:
				writes++
			case wire.OpDelete:
				writes++
				if len(o.Delete.End) > 0 {
					ranges++
				}
			case wire.OpTxn:
				w, b, n := count(m, o.Txn)
				writes += w
				branches += b
				ranges += n
			}
		}
	}
	return writes, branches, ranges
}

// fill records the writes and branches of m.Part(t), a transaction at
// position index of branch parent (-1 for the top), in the order etcd runs
// them.
func (s *writeSet) fill(m *wire.TxnFields, t, parent, index int32) {
	txn := s.txns
	s.txns++
	p := m.Part(t)
	for side, ops := range [2][]wire.OpFields{p.Success, p.Failure} {
		if len(ops) == 0 {
			continue
		}
		b := s.nb
		s.nb++
		depth := int32(0)
		if parent >= 0 {
			depth = s.branches[parent].depth + 1
		}
		s.branches[b] = branch{parent: parent, txn: txn, depth: depth, index: index, failure: side == 1}
		for i := range ops {
			o := &ops[i]
			switch o.Kind {
			case wire.OpPut:
				s.writes[s.nw] = write{key: o.Put.Key, branch: b, index: int32(i), put: true}
				s.nw++
			case wire.OpDelete:
				s.writes[s.nw] = write{key: o.Delete.Key, end: o.Delete.End, branch: b, index: int32(i)}
				s.nw++
			case wire.OpTxn:
				s.fill(m, o.Txn, b, int32(i))
			}
		}
	}
}

var hashSeed = maphash.MakeSeed()

// hashed finds the pair checkPairwise finds when few deletes cover a
// range: those are compared with every put, and the other writes overlap
// only when they write one key. They go, in the order etcd runs them, into
// a hash table of their keys (open addressing, linear probing, 0 for an
// empty slot), where the writes of a key already in it come up in the same
// order. table's length is a power of two, at least twice the number of
// writes.
func (s *writeSet) hashed(table []int32) (first, second int32, found bool) {
	w := s.writes
	better := func(a, b int32) bool { return !found || b < second || (b == second && a < first) }
	for d := range w {
		if w[d].put || len(w[d].end) == 0 {
			continue
		}
		for p := range w {
			a, b := int32(min(p, d)), int32(max(p, d))
			if w[p].put && better(a, b) && covers(&w[d], w[p].key) && s.together(w[p].branch, w[d].branch) {
				first, second, found = a, b, true
			}
		}
	}
	clear(table)
	mask := uint64(len(table) - 1)
	for j := range w {
		b := &w[j]
		if found && int32(j) > second {
			break
		}
		if len(b.end) > 0 {
			continue
		}
		h := maphash.Bytes(hashSeed, b.key) & mask
		for ; table[h] != 0; h = (h + 1) & mask {
			i := table[h] - 1
			if a := &w[i]; (a.put || b.put) && string(a.key) == string(b.key) && s.together(a.branch, b.branch) {
				if better(i, int32(j)) {
					first, second, found = i, int32(j), true
				}
				return first, second, found // later writes only come after
			}
		}
		table[h] = int32(j) + 1
	}
	return first, second, found
}

// sorted finds the pair checkPairwise finds, the first write (in the order
// etcd runs them) that overlaps an earlier one and the earliest of those, by
// sorting the writes by key into order: two puts of one key are neighbours,
// and the puts inside a delete's range follow the delete or share its key.
func (s *writeSet) sorted(keys []sortKey) (first, second int32, found bool) {
	w := s.writes
	for i := range keys {
		keys[i] = sortKey{head(w[i].key), int32(i)}
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.head != b.head {
			return cmp.Compare(a.head, b.head)
		}
		if c := bytes.Compare(w[a.i].key, w[b.i].key); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	consider := func(a, b int32) {
		if a > b {
			a, b = b, a
		}
		if (!found || b < second || (b == second && a < first)) && s.overlap(&w[a], &w[b]) {
			first, second, found = a, b, true
		}
	}
	for x, k := range keys {
		a := &w[k.i]
		if a.put {
			for _, n := range keys[x+1:] {
				if n.head != k.head || !bytes.Equal(w[n.i].key, a.key) {
					break
				}
				if w[n.i].put {
					consider(k.i, n.i)
				}
			}
			continue
		}
		lo := x
		for lo > 0 && keys[lo-1].head == k.head && bytes.Equal(w[keys[lo-1].i].key, a.key) {
			lo--
		}
		for _, n := range keys[lo:] {
			if !covers(a, w[n.i].key) {
				break
			}
			if w[n.i].put {
				consider(k.i, n.i)
			}
		}
	}
	return first, second, found
}

// overlap reports whether a and b write a common key and may both run.
func (s *writeSet) overlap(a, b *write) bool {
	return writesOverlap(a, b) && s.together(a.branch, b.branch)
}

// writesOverlap reports whether a and b write a common key: two puts of one
// key, or a put of a key the other deletes. Deletes may overlap each other.
func writesOverlap(a, b *write) bool {
	switch {
	case a.put && b.put:
		return string(a.key) == string(b.key)
	case a.put:
		return covers(b, a.key)
	case b.put:
		return covers(a, b.key)
	}
	return false
}

// covers reports whether the delete d removes key. A range end of exactly
// one zero byte means every key from d.key on, as etcd executes it.
func covers(d *write, key []byte) bool {
	if len(d.end) == 0 {
		return bytes.Equal(key, d.key)
	}
	if bytes.Compare(key, d.key) < 0 {
		return false
	}
	return toEnd(d.end) || bytes.Compare(key, d.end) < 0
}

// toEnd reports whether a range end is etcd's "to the end of the key space".
func toEnd(end []byte) bool { return len(end) == 1 && end[0] == 0 }

// together reports whether operations in branches a and b may run in one
// execution: they may unless they sit, at some level, in the success and
// the failure branch of one transaction.
func (s *writeSet) together(a, b int32) bool {
	for a != b {
		x, y := &s.branches[a], &s.branches[b]
		switch {
		case x.depth > y.depth:
			a = x.parent
		case y.depth > x.depth:
			b = y.parent
		case x.txn == y.txn:
			return false
		default:
			a, b = x.parent, y.parent
		}
	}
	return true
}
