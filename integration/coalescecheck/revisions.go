package coalescecheck

import (
	"fmt"
	"math"
	"reflect"
	"sort"

	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
)

// Revisions checks the linearizability of a history in which every
// request succeeded, with the help of the revisions etcd puts in every
// answer, in time linear in the history (porcupine's search, exact for any
// history, grows too fast with many callers in flight at once).
//
// The members' write-ahead log gives the store at every revision; each
// revision r came into being at one instant t(r), with t increasing. A
// write answered with revision r that changed the store is in the logged
// transaction that made r, and t(r) lies inside its call and return. A
// read, or a delete that found nothing, answered with revision r saw the
// store at r: its answer is the store's at r, and some instant inside its
// call and return lies in [t(r), t(r+1)). The history is linearizable
// exactly when instants meeting every such bound exist (then each request
// takes effect at its instant, in the log's order), and every put in the
// log was made by a request of the history, once. Revisions returns a
// violation per failed condition; the instants are chosen greedily, each
// revision as early as its bounds allow.
func Revisions(reports []report.ClientReport, persisted []model.EtcdRequest) []string {
	replay := model.NewReplay(persisted)
	last := int64(1)
	for {
		if _, err := replay.StateForRevision(last + 1); err != nil {
			break
		}
		last++
	}
	// lo[r] and hi[r] bound t(r): lo[r] <= t(r) <= hi[r], in nanoseconds
	// of the recording's clock.
	lo := make([]int64, last+2)
	hi := make([]int64, last+2)
	for r := range hi {
		hi[r] = math.MaxInt64
	}
	var out []string
	bad := func(format string, args ...any) {
		if len(out) < 20 {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	// sees bounds a request that saw the store at rev.
	sees := func(call, ret, rev int64) {
		hi[rev] = min(hi[rev], ret-1)
		lo[rev+1] = max(lo[rev+1], call+1)
	}
	made := map[model.PutOptions]bool{}
	type keyAt struct {
		key string
		rev int64
	}
	deleters := map[keyAt]int{}
	for _, r := range reports {
		for _, op := range r.KeyValue {
			req, resp := op.Input.(model.EtcdRequest), op.Output.(model.MaybeEtcdResponse)
			if req.Type == model.Txn {
				for _, o := range req.Txn.AllOperations() {
					if o.Type == model.PutOperation {
						made[model.PutOptions{Key: o.Put.Key, Value: o.Put.Value}] = true
					}
				}
			}
			if resp.Error != "" {
				bad("a failed request: Revisions needs every answer (%s)", resp.Error)
				continue
			}
			rev := resp.Revision
			if rev < 1 || rev > last {
				bad("an answer with revision %d, the log has 1 to %d", rev, last)
				continue
			}
			state, _ := replay.StateForRevision(rev)
			switch req.Type {
			case model.Range:
				// A read at an older revision returns that revision's keys
				// and the current revision.
				at := state
				if req.Range.Revision != 0 {
					if req.Range.Revision > rev {
						bad("a get at revision %d answered at %d", req.Range.Revision, rev)
						continue
					}
					at, _ = replay.StateForRevision(req.Range.Revision)
				}
				plain := *req.Range
				plain.Revision = 0
				_, want := at.Step(model.EtcdRequest{Type: model.Range, Range: &plain})
				if !reflect.DeepEqual(want.Range, resp.Range) {
					bad("get %+v answered at revision %d: got %+v, the store had %+v", *req.Range, rev, resp.Range, want.Range)
				}
				sees(op.Call, op.Return, rev)
			case model.Txn:
				if len(req.Txn.Conditions) != 0 || len(req.Txn.OperationsOnFailure) != 0 {
					bad("a conditional transaction: Revisions checks puts, deletes and gets")
					continue
				}
				before, _ := replay.StateForRevision(rev - 1)
				changed := false
				for i, o := range req.Txn.OperationsOnSuccess {
					switch o.Type {
					case model.PutOperation:
						v, ok := state.GetValue(o.Put.Key)
						if !ok || v.Value != o.Put.Value || v.ModRevision != rev {
							bad("put %s=%v answered with revision %d: the store there has %+v", o.Put.Key, o.Put.Value, rev, v)
						}
						changed = true
					case model.DeleteOperation:
						deleted := resp.Txn.Results[i].Deleted
						_, had := before.GetValue(o.Delete.Key)
						_, has := state.GetValue(o.Delete.Key)
						switch {
						case has:
							bad("delete of %s answered with revision %d: the key is there", o.Delete.Key, rev)
						case deleted > 0 && !had:
							bad("delete of %s answered with revision %d deleted %d: the key was not there before", o.Delete.Key, rev, deleted)
						}
						if deleted > 0 {
							changed = true
							if deleters[keyAt{o.Delete.Key, rev}]++; deleters[keyAt{o.Delete.Key, rev}] > 1 {
								bad("two deletes of %s say they removed it at revision %d", o.Delete.Key, rev)
							}
						}
					default:
						bad("a transaction with a %s", o.Type)
					}
				}
				if changed {
					// Made revision rev: t(rev) lies inside the call.
					lo[rev] = max(lo[rev], op.Call+1)
					hi[rev] = min(hi[rev], op.Return-1)
				} else {
					sees(op.Call, op.Return, rev)
				}
			default:
				bad("a %s request: Revisions checks puts, deletes and gets", req.Type)
			}
		}
	}
	for _, r := range persisted {
		if r.Type != model.Txn {
			continue
		}
		for _, o := range r.Txn.AllOperations() {
			if o.Type == model.PutOperation && !made[model.PutOptions{Key: o.Put.Key, Value: o.Put.Value}] {
				bad("put %s=%v in the log was made by no request", o.Put.Key, o.Put.Value)
			}
		}
	}
	// The instants, each as early as allowed.
	t := int64(math.MinInt64)
	for r := int64(2); r <= last+1; r++ {
		t = max(lo[r], t+1)
		if t > hi[r] {
			bad("no instant for revision %d: it must come after %d ns and before %d ns", r, max(lo[r], t), hi[r])
			break
		}
	}
	return out
}

// AppliedOnce counts the unique values of the puts the members persisted:
// a value written more than once means a request was proposed twice (a
// resent write). etcd's patching counts the same thing, but only to decide
// return times; it does not fail a history for it. It holds for any
// history whose puts carry unique values, coalesced or not.
func AppliedOnce(persisted []model.EtcdRequest) []string {
	count := map[model.PutOptions]int{}
	for _, r := range persisted {
		if r.Type != model.Txn || r.Txn == nil {
			continue
		}
		for _, o := range r.Txn.AllOperations() {
			if o.Type == model.PutOperation {
				count[o.Put]++
			}
		}
	}
	var out []string
	for p, n := range count {
		if n > 1 {
			out = append(out, fmt.Sprintf("put %s=%v persisted %d times", p.Key, p.Value, n))
		}
	}
	sort.Strings(out)
	return out
}
