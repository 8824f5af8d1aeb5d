package stm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// plan builds the commit of the attempt: one etcd transaction whose
// conditions hold only if nothing the level protects changed, whose success
// branch applies the writes, and whose failure branch reads again what the
// attempt read (and the prefetch keys), so that a conflict costs no extra
// round trip. It returns the spans the failure branch reads, in order.
//
//	serializable snapshot:  if  mod(k) = seen           for each key read
//	                            mod(range) <= read rev   for each range read
//	                            mod(w) <= snapshot       for each key written but not read
//	serializable,
//	repeatable reads:       the first two
//	read committed:         none, and no failure branch
func (tx *Tx) plan(req Request) (op.Txn, []span) {
	var conds []compare.Cond
	reads := slices.Sorted(maps.Keys(tx.reads))
	if tx.iso.validates() {
		for _, k := range reads {
			conds = append(conds, compare.Key(k).ModRevision(compare.Equal, tx.reads[k].mod))
		}
		for _, r := range tx.ranges {
			conds = append(conds, r.subject().ModRevision(compare.LessOrEqual, r.rev))
		}
	}
	writes := slices.Sorted(maps.Keys(tx.writes))
	if tx.iso == SerializableSnapshot && tx.snap > 0 {
		for _, k := range writes {
			if !tx.readKey(k) {
				conds = append(conds, compare.Key(k).ModRevision(compare.LessOrEqual, tx.snap))
			}
		}
	}
	ops := make([]op.Op, 0, len(writes))
	for _, k := range writes {
		w := tx.writes[k]
		r := kv.New().WithKey(k)
		switch {
		case w.del:
			ops = append(ops, op.Delete(r))
		case w.lease != 0:
			ops = append(ops, op.Put(r.WithValue(w.value).WithLease(w.lease)))
		default:
			ops = append(ops, op.Put(r.WithValue(w.value)))
		}
	}
	txn := op.If(conds...).Then(ops...).WithMaxOps(req.maxOps)
	if !tx.iso.validates() {
		return txn, nil
	}
	spans := tx.rereads(req, reads, writes)
	if len(spans) > req.opsLimit() {
		return txn, nil // a failure branch that large would be refused: do without
	}
	gets := make([]op.Op, len(spans))
	for i, s := range spans {
		gets[i] = op.Get(s.request())
	}
	return txn.Else(gets...), spans
}

// readKey says whether the attempt read key, alone or in a range.
func (tx *Tx) readKey(k string) bool {
	if _, ok := tx.reads[k]; ok {
		return true
	}
	for _, r := range tx.ranges {
		if r.contains(k) {
			return true
		}
	}
	return false
}

// rereads lists what the failure branch reads: every range read, every key
// read outside them, the keys written (serializable snapshot checks them
// too) and the prefetch keys, each once.
func (tx *Tx) rereads(req Request, reads, writes []string) []span {
	spans := make([]span, 0, len(tx.ranges)+len(tx.reads))
	for _, r := range tx.ranges {
		spans = append(spans, r.span)
	}
	seen := map[string]bool{}
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		for _, r := range tx.ranges {
			if r.contains(k) {
				return
			}
		}
		spans = append(spans, single(k))
	}
	for _, k := range reads {
		add(k)
	}
	if tx.iso == SerializableSnapshot {
		for _, k := range writes {
			add(k)
		}
	}
	for _, k := range req.prefetch {
		add(k)
	}
	return spans
}

// outcome is how a commit ended.
type outcome struct {
	res     Result
	next    *view    // on a conflict: what the failure branch read, if it could
	changed []string // on a conflict: the keys found changed, if known
}

// commit sends the attempt's commit, if it needs one. A transaction that
// wrote nothing needs none at the serializable levels (its reads are one
// snapshot) nor at read committed (nothing to check); at repeatable reads
// its reads are checked by a transaction that writes nothing.
func (tx *Tx) commit(ctx context.Context, req Request) (outcome, error) {
	if len(tx.writes) == 0 && (tx.iso != RepeatableReads || len(tx.reads)+len(tx.ranges) == 0) {
		rev := tx.seen
		if tx.iso.pinned() {
			rev = tx.snap
		}
		return outcome{res: Result{Committed: true, Revision: rev}}, nil
	}
	txn, spans := tx.plan(req)
	resp, err := tx.c.Txn(ctx, txn)
	if err != nil {
		return outcome{}, fmt.Errorf("stm: commit of attempt %d: %w", tx.attempt, err)
	}
	if resp.Succeeded {
		return outcome{res: Result{Committed: true, Revision: resp.Header.Revision, Header: resp.Header}}, nil
	}
	if spans == nil {
		return outcome{}, nil
	}
	v := newView(resp.Header.Revision, spans, resp.Responses)
	return outcome{next: v, changed: tx.changed(v)}, nil
}

// changed lists, sorted, the keys the conflict view shows changed since the
// attempt read them (or, for a key written at serializable snapshot, since
// the snapshot).
func (tx *Tx) changed(v *view) []string {
	var out []string
	for k, e := range tx.reads {
		if now, ok := v.find(k); ok && now.mod != e.mod {
			out = append(out, k)
		}
	}
	for _, r := range tx.ranges {
		for k, now := range v.keys {
			if r.contains(k) && now.mod > r.rev {
				out = append(out, k)
			}
		}
	}
	if tx.iso == SerializableSnapshot && tx.snap > 0 {
		for k := range tx.writes {
			if now, ok := v.find(k); ok && now.mod > tx.snap {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
