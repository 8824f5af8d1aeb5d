package kvtest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func TestCompareTargets(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	revs := seed(t, c, p) // p2 has version 2 and the newest mod revision
	lease := grantLease(t, c, 60)
	if _, err := c.Put(ctx, kv.New().WithKey(p+"leased").WithValue("x").WithLease(lease)); err != nil {
		t.Fatal(err)
	}
	k2 := compare.Key(p + "2")
	for _, tc := range []struct {
		name string
		cond compare.Cond
		want bool
	}{
		{"value =", k2.Value(compare.Equal, "v4"), true},
		{"value !=", k2.Value(compare.NotEqual, "v4"), false},
		{"value >", k2.Value(compare.Greater, "v3"), true},
		{"value <", k2.Value(compare.Less, "v3"), false},
		{"version =", k2.Version(compare.Equal, 2), true},
		{"version >=", k2.Version(compare.GreaterOrEqual, 2), true},
		{"version >= 3", k2.Version(compare.GreaterOrEqual, 3), false},
		{"version <=", k2.Version(compare.LessOrEqual, 2), true},
		{"version <= 1", k2.Version(compare.LessOrEqual, 1), false},
		{"create =", k2.CreateRevision(compare.Equal, revs[1]), true},
		{"mod =", k2.ModRevision(compare.Equal, revs[5]), true},
		{"mod <", k2.ModRevision(compare.Less, revs[5]), false},
		{"lease =", compare.Key(p+"leased").Lease(compare.Equal, lease), true},
		{"lease none", k2.Lease(compare.Equal, 0), true},
		{"exists", compare.Exists(p + "1"), true},
		{"missing", compare.Missing(p + "1"), false},
		{"missing absent", compare.Missing(p + "nope"), true},
		{"prefix all versions >= 1", compare.Prefix(p).Version(compare.GreaterOrEqual, 1), true},
		{"prefix all versions = 1", compare.Prefix(p).Version(compare.Equal, 1), false},
		{"range mod <", compare.Range(p+"1", p+"2").ModRevision(compare.Less, revs[1]), true},
		{"from key value >", compare.FromKey(p+"3").Value(compare.Greater, ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Txn(ctx, op.If(tc.cond))
			if err != nil {
				t.Fatal(err)
			}
			if r.Succeeded != tc.want {
				t.Errorf("succeeded = %v, want %v", r.Succeeded, tc.want)
			}
		})
	}
}

func TestTxnBranches(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	seed(t, c, p)

	txn := op.If(compare.Key(p+"1").Value(compare.Equal, "v5")).
		Then(
			op.Put(kv.New().WithKey(p+"new").WithValue("n").WithPrevKV()),
			op.Get(kv.New().WithKey(p).WithPrefix().WithCountOnly()),
			op.Delete(kv.New().WithKey(p+"5").WithPrevKV()),
			// etcd decides every branch, nested ones included, before it
			// applies any operation, so p5 still exists for this condition.
			op.Nested(op.If(compare.Exists(p+"5")).Then(op.Get(kv.New().WithKey(p+"3")))),
		).
		Else(op.Get(kv.New().WithKey(p + "1")))
	r, err := c.Txn(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Succeeded || len(r.Responses) != 4 {
		t.Fatalf("txn: %+v", r)
	}
	if r.Responses[0].Kind != op.KindPut || r.Responses[0].Put.PrevKV != nil {
		t.Errorf("put response: %+v", r.Responses[0])
	}
	if g := r.Responses[1].Get; g == nil || g.Count != 6 {
		t.Errorf("get response: %+v", r.Responses[1])
	}
	if d := r.Responses[2].Delete; d == nil || d.Deleted != 1 || string(d.PrevKVs[0].Value) != "v1" {
		t.Errorf("delete response: %+v", r.Responses[2])
	}
	n := r.Responses[3].Txn
	if n == nil || !n.Succeeded || len(n.Responses) != 1 || string(n.Responses[0].Get.KVs[0].Value) != "v3" {
		t.Errorf("nested txn response: %+v", r.Responses[3])
	}

	// The same transaction again: the condition still holds, but the else
	// branch runs once the value changes.
	if _, err := c.Put(ctx, kv.New().WithKey(p+"1").WithValue("changed")); err != nil {
		t.Fatal(err)
	}
	r, err = c.Txn(ctx, txn)
	if err != nil || r.Succeeded || len(r.Responses) != 1 || string(r.Responses[0].Get.KVs[0].Value) != "changed" {
		t.Fatalf("else branch: %v %+v", err, r)
	}
}

func TestTxnServerErrors(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	dup := op.NewTxn().Then(
		op.Put(kv.New().WithKey(p+"a").WithValue("1")),
		op.Put(kv.New().WithKey(p+"a").WithValue("2")),
	)
	// etcd refuses two puts of one key as a duplicate key; getcd refuses
	// them before sending (the overlap tests are in overlap_test.go).
	_, err := c.Txn(ctx, dup)
	var oe *op.OverlapError
	if !errors.Is(err, conn.ErrInvalidRequest) || !errors.As(err, &oe) {
		t.Errorf("duplicate key = %v, want an *op.OverlapError before sending", err)
	}
	// 129 operations pass the client check when its limit is raised, and
	// meet the server's default --max-txn-ops of 128.
	ops := make([]op.Op, 129)
	for i := range ops {
		ops[i] = op.Get(kv.New().WithKey(p + strconv.Itoa(i)))
	}
	_, err = c.Txn(ctx, op.NewTxn().Then(ops...).WithMaxOps(1000))
	if !errors.Is(err, conn.ErrTooManyOps) {
		t.Errorf("129 ops on the server = %v, want ErrTooManyOps", err)
	}
	_, err = c.Txn(ctx, op.NewTxn().Then(ops...))
	if !errors.Is(err, conn.ErrInvalidRequest) {
		t.Errorf("129 ops with the default limit = %v, want ErrInvalidRequest before sending", err)
	}
}

// TestCASContention runs compare-and-swap increments from many goroutines:
// every successful swap must be counted exactly once, so the final value
// equals the number of successes, and every worker finishes its quota.
func TestCASContention(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "counter"
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("0")); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 15
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		attempts int
	)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done := 0; done < each; {
				cur, err := c.Get(ctx, kv.New().WithKey(k))
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(cur.KVs[0].Value))
				r, err := c.Txn(ctx, op.If(compare.Key(k).ModRevision(compare.Equal, cur.KVs[0].ModRevision)).
					Then(op.Put(kv.New().WithKey(k).WithValue(strconv.Itoa(n+1)))))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				attempts++
				mu.Unlock()
				if r.Succeeded {
					done++
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	final := getOne(t, c, k)
	if string(final.Value) != fmt.Sprint(workers*each) || final.Version != workers*each+1 {
		t.Errorf("counter = %s (version %d), want %d (version %d)", final.Value, final.Version, workers*each, workers*each+1)
	}
	t.Logf("%d successful swaps in %d attempts", workers*each, attempts)
}
