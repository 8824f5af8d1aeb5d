// Package coalescecheck prepares a history recorded on a coalescing
// connection (conn.Config.Coalescing) for etcd's validators
// (go.etcd.io/etcd/tests/v3/robustness/validate).
//
// A connection that coalesces sends concurrent puts and deletes as one
// transaction: they take effect at one instant and share one revision.
// etcd's model gives every write request a revision of its own, so it
// rejects two puts answered with the same revision, which is right for
// requests sent alone and wrong for the batch. Merge turns the requests of
// each batch back into the one transaction they were: one operation whose
// call is the latest of their calls and whose return is the earliest of
// their returns (the transaction ran inside every member's interval, so
// inside their intersection), carrying all their operations and their
// common revision. The model then checks the transaction against every
// read, and the responses of the members through it.
//
// Which writes were one batch is read from their answers: writes that
// changed the store and were answered with the same revision were applied
// by one transaction (etcd gives each change of the store its own
// revision). A write with an unknown outcome has no answer; it is put in
// its batch from the members' write-ahead logs, which say what each
// transaction carried: puts by their unique values, deletes by their key.
// Merge also holds the answers to the log: writes answered with one
// revision must be one logged transaction, and the puts of one logged
// transaction must be answered with one revision.
package coalescecheck

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/anishathalye/porcupine"
	"go.etcd.io/etcd/tests/v3/robustness/identity"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
)

// Stats says what Merge found.
type Stats struct {
	Batches  int // transactions of two writes or more
	Merged   int // writes in those transactions
	MaxBatch int // the most writes one of them carried
	Unknown  int // writes of unknown outcome placed in a batch from the log
}

// write is one put or delete request of the history, sent on its own by
// the caller.
type write struct {
	report, index int
	op            porcupine.Operation
	eop           model.EtcdOperation
	res           model.EtcdOperationResult
	rev           int64
	failed        bool
	taken         bool
}

func (w *write) changed() bool {
	return w.eop.Type == model.PutOperation || w.res.Deleted > 0
}

// Merge returns reports with the writes of each coalesced transaction
// replaced by one operation, in a report of its own (ids gives it a client
// and stream identity). persisted, the requests read from the members'
// logs, may be empty when every write succeeded. It returns violations for
// answers that cannot come from one transaction each.
func Merge(reports []report.ClientReport, persisted []model.EtcdRequest, ids identity.Provider) ([]report.ClientReport, Stats, []string) {
	var ws []*write
	for ri, r := range reports {
		for i, op := range r.KeyValue {
			req := op.Input.(model.EtcdRequest)
			if req.Type != model.Txn || len(req.Txn.Conditions) != 0 || len(req.Txn.OperationsOnFailure) != 0 ||
				len(req.Txn.OperationsOnSuccess) != 1 || req.Txn.OperationsOnSuccess[0].Type == model.RangeOperation {
				continue // not a lone put or delete: never coalesced
			}
			resp := op.Output.(model.MaybeEtcdResponse)
			w := &write{report: ri, index: i, op: op, eop: req.Txn.OperationsOnSuccess[0], failed: resp.Error != ""}
			if !w.failed {
				w.rev = resp.Revision
				if resp.Txn != nil && len(resp.Txn.Results) == 1 {
					w.res = resp.Txn.Results[0]
				}
			}
			ws = append(ws, w)
		}
	}

	var violations []string
	groups := map[int64][]*write{}
	for _, w := range ws {
		if !w.failed && w.changed() {
			groups[w.rev] = append(groups[w.rev], w)
			w.taken = true
		}
	}
	st := Stats{}
	if len(persisted) > 0 {
		var v []string
		v, st.Unknown = placeUnknown(ws, groups, persisted, putsOf(reports))
		violations = append(violations, v...)
	}

	merged := map[[2]int]bool{}
	var extra []report.ClientReport
	revs := make([]int64, 0, len(groups))
	for rev := range groups {
		revs = append(revs, rev)
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i] < revs[j] })
	for _, rev := range revs {
		g := groups[rev]
		if len(g) < 2 {
			continue
		}
		op, ok := mergeOne(rev, g)
		if !ok {
			violations = append(violations, fmt.Sprintf("%d writes of revision %d do not overlap in time: no one transaction can have carried them: %s", len(g), rev, describe(g)))
			continue
		}
		op.ClientId = ids.NewStreamID()
		extra = append(extra, report.ClientReport{ClientID: ids.NewClientID(), KeyValue: []porcupine.Operation{op}})
		for _, w := range g {
			merged[[2]int{w.report, w.index}] = true
		}
		st.Batches++
		st.Merged += len(g)
		st.MaxBatch = max(st.MaxBatch, len(g))
	}

	out := make([]report.ClientReport, 0, len(reports)+len(extra))
	for ri, r := range reports {
		nr := r
		nr.KeyValue = nil
		for i, op := range r.KeyValue {
			if !merged[[2]int{ri, i}] {
				nr.KeyValue = append(nr.KeyValue, op)
			}
		}
		out = append(out, nr)
	}
	return append(out, extra...), st, violations
}

// mergeOne makes the transaction of a batch; false if its members'
// intervals do not meet.
func mergeOne(rev int64, g []*write) (porcupine.Operation, bool) {
	sort.Slice(g, func(i, j int) bool { return g[i].op.Call < g[j].op.Call })
	txn := &model.TxnRequest{}
	var results []model.EtcdOperationResult
	call, ret := int64(math.MinInt64), int64(math.MaxInt64)
	var failed int
	var member model.MemberID
	for _, w := range g {
		txn.OperationsOnSuccess = append(txn.OperationsOnSuccess, w.eop)
		results = append(results, w.res)
		call = max(call, w.op.Call)
		if w.failed {
			failed++
			continue
		}
		ret = min(ret, w.op.Return)
		member = w.op.Output.(model.MaybeEtcdResponse).MemberID
	}
	var out model.MaybeEtcdResponse
	if failed > 0 {
		// Some member does not know the outcome: the transaction is a
		// write of unknown outcome, which the validators place with the
		// help of the log.
		out = model.MaybeEtcdResponse{Error: "coalesced transaction with writes of unknown outcome"}
		if ret == math.MaxInt64 {
			for _, w := range g {
				ret = max(ret, w.op.Return)
			}
			ret = max(ret, call+1)
		}
	} else {
		out = model.MaybeEtcdResponse{EtcdResponse: model.EtcdResponse{
			Txn: &model.TxnResponse{Results: results}, Revision: rev, MemberID: member}}
	}
	if call >= ret {
		return porcupine.Operation{}, false
	}
	return porcupine.Operation{Input: model.EtcdRequest{Type: model.Txn, Txn: txn}, Output: out, Metadata: out, Call: call, Return: ret}, true
}

// placeUnknown puts writes of unknown outcome into the batch the log shows
// them in, and checks the answered writes against the log.
func placeUnknown(ws []*write, groups map[int64][]*write, persisted []model.EtcdRequest, recorded map[model.PutOptions]bool) (violations []string, placed int) {
	// Replay the log: the revision each transaction left and the result of
	// each of its operations.
	type logged struct {
		rev     int64
		changed bool
		ops     []model.EtcdOperation
		results []model.EtcdOperationResult
	}
	var txns []logged
	putAt := map[model.PutOptions]int{}
	// The replay's state at revision 0 is the empty store over every key
	// the log writes.
	state, err := model.NewReplay(persisted).StateForRevision(0)
	if err != nil {
		return []string{err.Error()}, 0
	}
	for _, r := range persisted {
		next, resp := state.Step(r)
		if r.Type == model.Txn && resp.Txn != nil {
			ops := r.Txn.OperationsOnSuccess
			if resp.Txn.Failure {
				ops = r.Txn.OperationsOnFailure
			}
			for _, o := range ops {
				if o.Type == model.PutOperation {
					putAt[model.PutOptions{Key: o.Put.Key, Value: o.Put.Value}] = len(txns)
				}
			}
			txns = append(txns, logged{rev: next.Revision, changed: next.Revision != state.Revision, ops: ops, results: resp.Txn.Results})
		}
		state = next
	}

	// Answered puts: one revision per logged transaction, one logged
	// transaction per revision.
	revOf := map[int]int64{}
	txnOf := map[int64]int{}
	for _, w := range ws {
		if w.failed || w.eop.Type != model.PutOperation {
			continue
		}
		i, ok := putAt[model.PutOptions{Key: w.eop.Put.Key, Value: w.eop.Put.Value}]
		if !ok {
			violations = append(violations, fmt.Sprintf("put %s=%v answered with revision %d is not in the log", w.eop.Put.Key, w.eop.Put.Value, w.rev))
			continue
		}
		if r, seen := revOf[i]; seen && r != w.rev {
			violations = append(violations, fmt.Sprintf("puts of one logged transaction answered with revisions %d and %d", r, w.rev))
		}
		revOf[i] = w.rev
		if j, seen := txnOf[w.rev]; seen && j != i {
			violations = append(violations, fmt.Sprintf("puts answered with revision %d are in two logged transactions", w.rev))
		}
		txnOf[w.rev] = i
		if txns[i].rev != w.rev {
			violations = append(violations, fmt.Sprintf("put %s=%v answered with revision %d, the log applies it at %d", w.eop.Put.Key, w.eop.Put.Value, w.rev, txns[i].rev))
		}
	}

	// Every logged put was made by a request of the history: one missing
	// was told it failed for certain (and so left out), yet applied.
	for i, t := range txns {
		for _, o := range t.ops {
			if o.Type == model.PutOperation && !recorded[model.PutOptions{Key: o.Put.Key, Value: o.Put.Value}] {
				violations = append(violations, fmt.Sprintf("put %s=%v applied at revision %d (logged transaction %d of %d operations) was made by no recorded request: its caller was told it certainly failed",
					o.Put.Key, o.Put.Value.Value, t.rev, i, len(t.ops)))
			}
		}
	}

	// Every logged delete that removed a key was made by a recorded delete
	// of that key answered as having removed it, or of unknown outcome.
	removedBy := map[string]int{}
	for _, w := range ws {
		if w.eop.Type == model.DeleteOperation && (w.failed || w.res.Deleted > 0) {
			removedBy[w.eop.Delete.Key]++
		}
	}
	removed := map[string]int{}
	for _, t := range txns {
		for j, o := range t.ops {
			if o.Type == model.DeleteOperation && t.results[j].Deleted > 0 {
				if removed[o.Delete.Key]++; removed[o.Delete.Key] > removedBy[o.Delete.Key] {
					violations = append(violations, fmt.Sprintf("delete %s applied at revision %d (a transaction of %d operations) is one more than the recorded deletes that may have removed it: a caller was told its delete certainly failed, or removed nothing",
						o.Delete.Key, t.rev, len(t.ops)))
				}
			}
		}
	}

	// Failed puts go to the batch of their logged transaction.
	for _, w := range ws {
		if !w.failed || w.eop.Type != model.PutOperation {
			continue
		}
		i, ok := putAt[model.PutOptions{Key: w.eop.Put.Key, Value: w.eop.Put.Value}]
		if !ok || len(txns[i].ops) < 2 {
			continue // never applied, or applied alone: the validators place it
		}
		groups[txns[i].rev] = append(groups[txns[i].rev], w)
		w.taken = true
		placed++
	}
	// Failed deletes that removed a key: the logged transaction that
	// removed it holds one of the failed deletes of that key (which one
	// cannot be told; they are the same request). Taken in log order, each
	// gets the earliest called of those left, so that one applied alone
	// early keeps a delete called before it; in a transaction of several
	// operations (a batch) it joins the batch.
	for _, t := range txns {
		if !t.changed {
			continue
		}
		for j, o := range t.ops {
			if o.Type != model.DeleteOperation || t.results[j].Deleted == 0 || hasDelete(groups[t.rev], o.Delete.Key) {
				continue
			}
			w := failedDelete(ws, o.Delete.Key, groups[t.rev])
			if w == nil {
				violations = append(violations, fmt.Sprintf("delete %s applied at revision %d in a transaction of %d operations matches no recorded delete: its caller was told it certainly failed, or was answered otherwise",
					o.Delete.Key, t.rev, len(t.ops)))
				continue
			}
			w.taken = true
			if len(t.ops) > 1 {
				groups[t.rev] = append(groups[t.rev], w)
				placed++
			}
		}
	}
	return violations, placed
}

// putsOf is every put the history's requests carry, whatever their
// outcome.
func putsOf(reports []report.ClientReport) map[model.PutOptions]bool {
	out := map[model.PutOptions]bool{}
	for _, r := range reports {
		for _, op := range r.KeyValue {
			if req := op.Input.(model.EtcdRequest); req.Type == model.Txn {
				for _, o := range req.Txn.AllOperations() {
					if o.Type == model.PutOperation {
						out[model.PutOptions{Key: o.Put.Key, Value: o.Put.Value}] = true
					}
				}
			}
		}
	}
	return out
}

func hasDelete(g []*write, key string) bool {
	for _, w := range g {
		if w.eop.Type == model.DeleteOperation && w.eop.Delete.Key == key {
			return true
		}
	}
	return false
}

// failedDelete picks, among the failed deletes of key not yet placed, one
// called before any answered member of the batch g returned: the earliest
// called (the others are the same request, called later).
func failedDelete(ws []*write, key string, g []*write) *write {
	ret := int64(math.MaxInt64)
	for _, w := range g {
		if !w.failed {
			ret = min(ret, w.op.Return)
		}
	}
	var best *write
	for _, w := range ws {
		if w.failed && !w.taken && w.eop.Type == model.DeleteOperation && w.eop.Delete.Key == key &&
			w.op.Call < ret && (best == nil || w.op.Call < best.op.Call) {
			best = w
		}
	}
	return best
}

func describe(g []*write) string {
	var b strings.Builder
	for i, w := range g {
		if i > 0 {
			b.WriteString(", ")
		}
		switch w.eop.Type {
		case model.PutOperation:
			fmt.Fprintf(&b, "put %s=%v", w.eop.Put.Key, w.eop.Put.Value.Value)
		default:
			fmt.Fprintf(&b, "delete %s", w.eop.Delete.Key)
		}
		fmt.Fprintf(&b, " [%d, %d]", w.op.Call, w.op.Return)
		if w.failed {
			b.WriteString(" (unknown outcome)")
		}
	}
	return b.String()
}
