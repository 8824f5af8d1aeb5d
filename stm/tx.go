package stm

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/keys"
)

// KeyValue is one key of a range read, with the value the transaction sees
// (its own pending write, if it made one).
type KeyValue struct {
	Key   string
	Value string
}

// entry is what a read saw of one key.
type entry struct {
	value  string
	mod    int64 // mod revision; 0 for a missing key
	exists bool
}

// write is a pending put or delete.
type write struct {
	value string
	lease int64
	del   bool
}

// rangeRead is a prefix or range the attempt read, and the revision the read
// reflects.
type rangeRead struct {
	span
	rev int64
}

// Tx is one attempt of a transaction, handed to the function Run runs.
// Reads go to the store (or to what an earlier attempt or the prefetch
// already read) and are recorded; writes are buffered until the commit, and
// later reads in the same attempt see them. A Tx may be used from
// goroutines the function starts, until the function returns; after that
// reads fail with ErrTxDone and writes have no effect.
type Tx struct {
	mu      sync.Mutex
	c       *conn.Conn
	iso     Isolation
	attempt int
	live    bool

	err   error // first failed read or invalid write of the attempt
	stale bool  // a read at the snapshot found it compacted: run again

	snap int64 // serializable levels: the snapshot revision, 0 before the first read
	seen int64 // highest revision a read reflected

	reads  map[string]entry // keys read, as first seen (validating levels)
	ranges []rangeRead      // prefixes and ranges read (validating levels)
	writes map[string]write
	pre    *view // read before the attempt: prefetch or the last conflict
}

// begin readies tx for an attempt.
func (tx *Tx) begin(attempt int, pre *view) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.attempt, tx.live, tx.err, tx.stale, tx.seen = attempt, true, nil, false, 0
	clear(tx.reads)
	clear(tx.writes)
	tx.ranges = tx.ranges[:0]
	tx.pre, tx.snap = pre, 0
	if pre != nil && tx.iso.pinned() {
		tx.snap = pre.rev
	}
}

// end closes the attempt to the function.
func (tx *Tx) end() {
	tx.mu.Lock()
	tx.live = false
	tx.mu.Unlock()
}

// Attempt returns the number of the attempt, from 1.
func (tx *Tx) Attempt() int {
	if tx == nil {
		return 0
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.attempt
}

// Isolation returns the transaction's isolation level.
func (tx *Tx) Isolation() Isolation {
	if tx == nil {
		return 0
	}
	return tx.iso
}

// Get returns the value of key as the transaction sees it, or "" if the key
// does not exist. Use Lookup to tell a missing key from an empty value.
func (tx *Tx) Get(ctx context.Context, key string) (string, error) {
	v, _, err := tx.Lookup(ctx, key)
	return v, err
}

// Lookup returns the value of key as the transaction sees it and whether
// the key exists.
//
// A failed read also fails the attempt: Run does not commit it, even if the
// function goes on and returns nil, and reports the error (or runs the
// attempt again when the failure was the snapshot being compacted).
func (tx *Tx) Lookup(ctx context.Context, key string) (string, bool, error) {
	if tx == nil {
		return "", false, ErrTxDone
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if !tx.live {
		return "", false, ErrTxDone
	}
	if key == "" {
		return "", false, tx.fail(errs.Field("stm", "get", "key", "empty key; etcd rejects it (use Prefix to read every key)"))
	}
	if w, ok := tx.writes[key]; ok {
		return w.value, !w.del, nil
	}
	e, err := tx.lookup(ctx, key)
	return e.value, e.exists, err
}

// lookup reads one key, from what the attempt already read when the level
// repeats reads, else from the prefetch, else from the store.
func (tx *Tx) lookup(ctx context.Context, key string) (entry, error) {
	if tx.iso.validates() {
		if e, ok := tx.reads[key]; ok {
			return e, nil
		}
		for _, r := range tx.ranges {
			if r.contains(key) {
				// The range read found no such key, and its condition
				// covers the key's creation.
				return entry{}, nil
			}
		}
	}
	if e, ok := tx.pre.find(key); ok {
		tx.record(key, e)
		return e, nil
	}
	resp, _, err := tx.get(ctx, kv.New().WithKey(key))
	if err != nil {
		return entry{}, tx.fail(err)
	}
	var e entry
	if len(resp.KVs) > 0 {
		e = entryOf(resp.KVs[0])
	}
	tx.record(key, e)
	return e, nil
}

// record adds a read to the read set, keeping the first read of a key.
func (tx *Tx) record(key string, e entry) {
	if !tx.iso.validates() {
		return
	}
	if _, ok := tx.reads[key]; !ok {
		tx.reads[key] = e
	}
}

// get reads from the store as the level says: the serializable levels read
// the first time at the newest revision (linearizable) and then at that
// snapshot; the others read what the member serving them has. It returns the
// revision the answer reflects.
func (tx *Tx) get(ctx context.Context, r kv.Request) (*conn.GetResponse, int64, error) {
	pinned := tx.iso.pinned() && tx.snap != 0
	var (
		resp *conn.GetResponse
		err  error
	)
	switch {
	case pinned:
		resp, err = tx.c.Get(ctx, r.WithRev(tx.snap).WithSerializable())
		if errors.Is(err, conn.ErrFutureRev) {
			// The member that answered has not applied the snapshot yet;
			// a linearizable read waits until it has.
			resp, err = tx.c.Get(ctx, r.WithRev(tx.snap))
		}
		if errors.Is(err, conn.ErrCompacted) {
			tx.stale = true
		}
	case tx.iso.pinned():
		resp, err = tx.c.Get(ctx, r)
	default:
		resp, err = tx.c.Get(ctx, r.WithSerializable())
	}
	if err != nil {
		return nil, 0, err
	}
	rev := resp.Header.Revision
	switch {
	case pinned:
		rev = tx.snap
	case tx.iso.pinned():
		tx.snap = rev
	}
	tx.seen = max(tx.seen, rev)
	return resp, rev, nil
}

// fail keeps the attempt's first error and returns err.
func (tx *Tx) fail(err error) error {
	if tx.err == nil {
		tx.err = err
	}
	return err
}

// Put buffers a put of value to key, applied at the commit.
func (tx *Tx) Put(key, value string) { tx.buffer("put", key, write{value: value}) }

// PutWithLease buffers a put of value to key attached to a lease.
func (tx *Tx) PutWithLease(key, value string, lease int64) {
	tx.buffer("put", key, write{value: value, lease: lease})
}

// Delete buffers a delete of key, applied at the commit. Deleting a key that
// does not exist is not an error.
func (tx *Tx) Delete(key string) { tx.buffer("delete", key, write{del: true}) }

// buffer records a write. An invalid one fails the attempt: Run reports it
// and sends nothing.
func (tx *Tx) buffer(kind, key string, w write) {
	if tx == nil {
		return
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	switch {
	case !tx.live:
		return
	case key == "":
		tx.fail(errs.Field("stm", kind, "key", "empty key; etcd rejects it"))
		return
	case w.lease < 0:
		tx.fail(errs.Field("stm", kind, "lease", errs.Negative(w.lease)))
		return
	}
	tx.writes[key] = w
}

// Range returns the keys in [key, end), sorted, as the transaction sees
// them; end "\x00" means every key from key on. See Prefix.
func (tx *Tx) Range(ctx context.Context, key, end string) ([]KeyValue, error) {
	return tx.readSpan(ctx, "range", key, end)
}

// Prefix returns the keys that start with prefix (every key when it is
// empty), sorted, as the transaction sees them: the store's keys as of the
// read, with the transaction's own pending puts and deletes applied.
//
// At every level but ReadCommitted the read is part of what the commit
// checks: a key of the range changed, created or deleted since the read
// makes the attempt conflict. The check costs one condition for the range
// and one per key it returned, within the limit of WithMaxOps. Later reads
// in the same attempt of keys inside the range, or of ranges inside it, are
// served from this read.
func (tx *Tx) Prefix(ctx context.Context, prefix string) ([]KeyValue, error) {
	return tx.readSpan(ctx, "prefix", prefix, "")
}

func (tx *Tx) readSpan(ctx context.Context, kind, key, end string) ([]KeyValue, error) {
	if tx == nil {
		return nil, ErrTxDone
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if !tx.live {
		return nil, ErrTxDone
	}
	sk := keys.Range
	if kind == "prefix" {
		sk = keys.Prefix
	}
	s, err := newSpan(sk, key, end)
	if err != nil {
		return nil, tx.fail(err)
	}
	validates := tx.iso.validates()
	if validates {
		for _, r := range tx.ranges {
			if r.covers(s) {
				return tx.collect(s), nil
			}
		}
	}
	var base []KeyValue
	switch {
	case tx.pre.covers(s):
		for k, e := range tx.pre.keys {
			if s.contains(k) {
				tx.record(k, e)
				if e.exists {
					base = append(base, KeyValue{Key: k, Value: e.value})
				}
			}
		}
		if validates {
			tx.ranges = append(tx.ranges, rangeRead{span: s, rev: tx.pre.rev})
		}
	default:
		resp, rev, err := tx.get(ctx, s.request())
		if err != nil {
			return nil, tx.fail(err)
		}
		for _, m := range resp.KVs {
			e := entryOf(m)
			tx.record(string(m.Key), e)
			base = append(base, KeyValue{Key: string(m.Key), Value: e.value})
		}
		if validates {
			tx.ranges = append(tx.ranges, rangeRead{span: s, rev: rev})
		}
	}
	if validates {
		// What the attempt read first wins, so that reads repeat.
		return tx.collect(s), nil
	}
	return tx.overlay(base, s), nil
}

// collect builds a range result from the read set, which holds every key
// the attempt's range reads returned.
func (tx *Tx) collect(s span) []KeyValue {
	var base []KeyValue
	for k, e := range tx.reads {
		if e.exists && s.contains(k) {
			base = append(base, KeyValue{Key: k, Value: e.value})
		}
	}
	return tx.overlay(base, s)
}

// overlay sorts base by key and applies the pending writes inside s.
func (tx *Tx) overlay(base []KeyValue, s span) []KeyValue {
	byKey := func(a KeyValue, k string) int { return strings.Compare(a.Key, k) }
	slices.SortFunc(base, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) })
	for k, w := range tx.writes {
		if !s.contains(k) {
			continue
		}
		i, found := slices.BinarySearchFunc(base, k, byKey)
		switch {
		case w.del && found:
			base = slices.Delete(base, i, i+1)
		case w.del:
		case found:
			base[i].Value = w.value
		default:
			base = slices.Insert(base, i, KeyValue{Key: k, Value: w.value})
		}
	}
	return base
}

func entryOf(m conn.KeyValue) entry {
	return entry{value: string(m.Value), mod: m.ModRevision, exists: true}
}
