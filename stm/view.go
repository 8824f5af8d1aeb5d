package stm

import "github.com/getcd/getcd/conn"

// view is what was read of the store at one revision before an attempt:
// the prefetched keys, or the keys and ranges a conflicting commit read
// again in its failure branch. An attempt serves its first reads from it.
type view struct {
	rev   int64
	keys  map[string]entry // every key the spans returned
	spans []span           // what was read: a missing key of a span does not exist
}

// newView builds the view of reads of spans answered by resps, in order.
func newView(rev int64, spans []span, resps []conn.OpResponse) *view {
	v := &view{rev: rev, keys: map[string]entry{}, spans: spans}
	for i := range min(len(spans), len(resps)) {
		if g := resps[i].Get; g != nil {
			for _, m := range g.KVs {
				v.keys[string(m.Key)] = entryOf(m)
			}
		}
	}
	return v
}

// find returns what the view knows of key: its entry, or a missing key if
// a span covers it.
func (v *view) find(key string) (entry, bool) {
	if v == nil {
		return entry{}, false
	}
	if e, ok := v.keys[key]; ok {
		return e, true
	}
	for _, s := range v.spans {
		if s.contains(key) {
			return entry{}, true
		}
	}
	return entry{}, false
}

// covers says whether the view read every key of s.
func (v *view) covers(s span) bool {
	if v == nil {
		return false
	}
	for _, o := range v.spans {
		if o.covers(s) {
			return true
		}
	}
	return false
}
