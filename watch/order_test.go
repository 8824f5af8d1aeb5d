package watch_test

import (
	"testing"

	"github.com/getcd/getcd/watch"
)

// TestOrderFree applies the same options in every order of a few chains and
// expects one message.
func TestOrderFree(t *testing.T) {
	type opt func(watch.Request) watch.Request
	chains := [][]opt{
		{
			func(r watch.Request) watch.Request { return r.WithKey("svc/") },
			watch.Request.WithPrefix,
			func(r watch.Request) watch.Request { return r.WithStartRevision(7) },
			watch.Request.WithPrevKV,
			watch.Request.WithFilterDelete,
		},
		{
			func(r watch.Request) watch.Request { return r.WithKey("a") },
			func(r watch.Request) watch.Request { return r.WithRangeEnd("q") },
			watch.Request.WithFragment,
			watch.Request.WithProgressNotify,
			func(r watch.Request) watch.Request { return r.WithWatchID(4) },
		},
		{
			func(r watch.Request) watch.Request { return r.WithKey("m") },
			watch.Request.WithFromKey,
			watch.Request.WithFilterPut,
			watch.Request.WithCreatedNotify,
		},
	}
	for ci, chain := range chains {
		var first []byte
		permute(len(chain), func(order []int) {
			r := watch.New()
			for _, i := range order {
				r = chain[i](r)
			}
			m, err := r.CreateRequest()
			if err != nil {
				t.Fatalf("chain %d order %v: %v", ci, order, err)
			}
			got := []byte(m.String())
			if first == nil {
				first = got
				return
			}
			if string(got) != string(first) {
				t.Errorf("chain %d order %v compiled to %s, first order to %s", ci, order, got, first)
			}
		})
	}
}

// permute calls f with every permutation of 0..n-1.
func permute(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}
