package op

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
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

// Small transactions are checked on the stack, every pair of writes
// compared; bigger ones in memory reused through a pool, their writes sorted
// by key, which costs O(n log n) plus the overlaps found. Neither allocates
// once the pool is warm.
const (
	pairwiseMax = 16 // writes
	branchesMax = 8
)

// checkOverlaps returns an *OverlapError when two writes of m may run
// together and write a common key.
func checkOverlaps(m *pb.TxnRequest) error {
	nw, nb := count(m)
	switch {
	case nw < 2:
		return nil
	case nw <= pairwiseMax && nb <= branchesMax:
		return checkPairwise(m, nw, nb)
	}
	return checkSorted(m, nw, nb)
}

func checkPairwise(m *pb.TxnRequest, nw, nb int) error {
	var s writeSet
	if nw <= 4 && nb <= 2 { // most transactions: less memory to clear
		var wbuf [4]write
		var bbuf [2]branch
		s = writeSet{writes: wbuf[:nw], branches: bbuf[:nb]}
	} else {
		var wbuf [pairwiseMax]write
		var bbuf [branchesMax]branch
		s = writeSet{writes: wbuf[:nw], branches: bbuf[:nb]}
	}
	s.fill(m, -1, 0)
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

// scratch is the memory of checkSorted.
type scratch struct {
	writes   []write
	branches []branch
	keys     []sortKey
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

func checkSorted(m *pb.TxnRequest, nw, nb int) error {
	sc := scratchPool.Get().(*scratch)
	sc.writes = slices.Grow(sc.writes[:0], nw)[:nw]
	sc.branches = slices.Grow(sc.branches[:0], nb)[:nb]
	sc.keys = slices.Grow(sc.keys[:0], nw)[:nw]
	s := writeSet{writes: sc.writes, branches: sc.branches}
	s.fill(m, -1, 0)
	var err error
	if i, j, found := s.sorted(sc.keys); found {
		err = s.overlapError(s.writes[i], s.writes[j])
	}
	clear(sc.writes) // keep no keys of the message alive
	if nw <= scratchKeep && nb <= scratchKeep {
		scratchPool.Put(sc)
	}
	return err
}

// count returns the number of writes of m and of the non-empty branches of
// m and of its nested transactions.
func count(m *pb.TxnRequest) (writes, branches int) {
	for _, ops := range [2][]*pb.RequestOp{m.Success, m.Failure} {
		if len(ops) > 0 {
			branches++
		}
		for _, o := range ops {
			switch r := o.Request.(type) {
			case *pb.RequestOp_RequestPut, *pb.RequestOp_RequestDeleteRange:
				writes++
			case *pb.RequestOp_RequestTxn:
				w, b := count(r.RequestTxn)
				writes += w
				branches += b
			}
		}
	}
	return writes, branches
}

// fill records the writes and branches of m, a transaction at position index
// of branch parent (-1 for the top), in the order etcd runs them.
func (s *writeSet) fill(m *pb.TxnRequest, parent, index int32) {
	txn := s.txns
	s.txns++
	for side, ops := range [2][]*pb.RequestOp{m.Success, m.Failure} {
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
		for i, o := range ops {
			switch r := o.Request.(type) {
			case *pb.RequestOp_RequestPut:
				s.writes[s.nw] = write{key: r.RequestPut.Key, branch: b, index: int32(i), put: true}
				s.nw++
			case *pb.RequestOp_RequestDeleteRange:
				d := r.RequestDeleteRange
				s.writes[s.nw] = write{key: d.Key, end: d.RangeEnd, branch: b, index: int32(i)}
				s.nw++
			case *pb.RequestOp_RequestTxn:
				s.fill(r.RequestTxn, b, int32(i))
			}
		}
	}
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
	switch {
	case a.put && b.put:
		if !bytes.Equal(a.key, b.key) {
			return false
		}
	case a.put:
		if !covers(b, a.key) {
			return false
		}
	case b.put:
		if !covers(a, b.key) {
			return false
		}
	default:
		return false // deletes may overlap each other
	}
	return s.together(a.branch, b.branch)
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
