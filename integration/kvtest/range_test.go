package kvtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
)

// keysOf lists the keys of a response as strings.
func keysOf(r *conn.GetResponse) []string {
	out := make([]string, len(r.KVs))
	for i, k := range r.KVs {
		out[i] = string(k.Key)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// seed puts p+"1".."5" with values "v5".."v1" (so value order is the reverse
// of key order) and returns the revision of each put.
func seed(t *testing.T, c *conn.Conn, p string) []int64 {
	t.Helper()
	ctx := testCtx(t)
	revs := make([]int64, 5)
	for i := 1; i <= 5; i++ {
		r, err := c.Put(ctx, kv.New().WithKey(fmt.Sprintf("%s%d", p, i)).WithValue(fmt.Sprintf("v%d", 6-i)))
		if err != nil {
			t.Fatalf("put: %v", err)
		}
		revs[i-1] = r.Header.Revision
	}
	// A second version of key 2, so version and mod revision differ from
	// create revision.
	r, err := c.Put(ctx, kv.New().WithKey(p+"2").WithValue("v4"))
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	revs = append(revs, r.Header.Revision)
	return revs
}

func TestRangeOptions(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	revs := seed(t, c, p)
	// A key right after the prefix, so that a from-key range always has more.
	if _, err := c.Put(ctx, kv.New().WithKey(strings.TrimSuffix(p, "/")+"~").WithValue("x")); err != nil {
		t.Fatal(err)
	}
	base := kv.New().WithKey(p).WithPrefix()

	for _, tc := range []struct {
		name string
		req  kv.Request
		keys []string
		more bool
	}{
		{"prefix", base, []string{p + "1", p + "2", p + "3", p + "4", p + "5"}, false},
		{"single key", kv.New().WithKey(p + "3"), []string{p + "3"}, false},
		{"missing key", kv.New().WithKey(p + "9"), []string{}, false},
		{"range end", kv.New().WithKey(p + "2").WithRangeEnd(p + "4"), []string{p + "2", p + "3"}, false},
		{"from key", kv.New().WithKey(p + "4").WithFromKey().WithLimit(2), []string{p + "4", p + "5"}, true},
		{"limit", base.WithLimit(2), []string{p + "1", p + "2"}, true},
		{"sort key descend", base.WithSort(kv.SortByKey, kv.SortDescend), []string{p + "5", p + "4", p + "3", p + "2", p + "1"}, false},
		{"sort value ascend", base.WithSort(kv.SortByValue, kv.SortAscend), []string{p + "5", p + "4", p + "3", p + "2", p + "1"}, false},
		{"sort version descend", base.WithSort(kv.SortByVersion, kv.SortDescend).WithLimit(1), []string{p + "2"}, true},
		{"sort mod descend", base.WithSort(kv.SortByMod, kv.SortDescend), []string{p + "2", p + "5", p + "4", p + "3", p + "1"}, false},
		{"sort create descend", base.WithSort(kv.SortByCreate, kv.SortDescend), []string{p + "5", p + "4", p + "3", p + "2", p + "1"}, false},
		{"revision", base.WithRev(revs[2]), []string{p + "1", p + "2", p + "3"}, false},
		{"serializable", base.WithSerializable(), []string{p + "1", p + "2", p + "3", p + "4", p + "5"}, false},
		{"min mod rev", base.WithMinModRev(revs[4]), []string{p + "2", p + "5"}, false},
		{"max mod rev", base.WithMaxModRev(revs[2]), []string{p + "1", p + "3"}, false},
		{"min create rev", base.WithMinCreateRev(revs[3]), []string{p + "4", p + "5"}, false},
		{"max create rev", base.WithMaxCreateRev(revs[1]), []string{p + "1", p + "2"}, false},
		{"first key", kv.New().WithKey(p).WithFirstKey(), []string{p + "1"}, true},
		{"last key", kv.New().WithKey(p).WithLastKey(), []string{p + "5"}, true},
		{"first create", kv.New().WithKey(p).WithFirstCreate(), []string{p + "1"}, true},
		{"last create", kv.New().WithKey(p).WithLastCreate(), []string{p + "5"}, true},
		{"first rev", kv.New().WithKey(p).WithFirstRev(), []string{p + "1"}, true},
		{"last rev", kv.New().WithKey(p).WithLastRev(), []string{p + "2"}, true},
		{"top value descend", kv.New().WithKey(p).WithTop(kv.SortByValue, kv.SortDescend), []string{p + "1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Get(ctx, tc.req)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got := keysOf(r); !equal(got, tc.keys) {
				t.Errorf("keys = %q, want %q", got, tc.keys)
			}
			if r.More != tc.more {
				t.Errorf("more = %v, want %v", r.More, tc.more)
			}
			if r.Header.Revision <= revs[5] || r.Header.MemberID == 0 || r.Header.ClusterID == 0 || r.Header.RaftTerm == 0 {
				t.Errorf("header not kept: %+v", r.Header)
			}
		})
	}
}

func TestRangeValuesAndMetadata(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	revs := seed(t, c, p)

	r, err := c.Get(ctx, kv.New().WithKey(p+"2"))
	if err != nil || len(r.KVs) != 1 {
		t.Fatalf("get: %v %+v", err, r)
	}
	got := r.KVs[0]
	if string(got.Value) != "v4" || got.Version != 2 || got.CreateRevision != revs[1] || got.ModRevision != revs[5] || got.Lease != 0 {
		t.Errorf("kv = %+v, want value v4, version 2, create %d, mod %d", got, revs[1], revs[5])
	}

	r, err = c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithKeysOnly())
	if err != nil || len(r.KVs) != 5 {
		t.Fatalf("keys only: %v %+v", err, r)
	}
	for _, k := range r.KVs {
		if len(k.Value) != 0 || k.ModRevision == 0 {
			t.Errorf("keys only returned %+v", k)
		}
	}

	r, err = c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithCountOnly())
	if err != nil || r.Count != 5 || len(r.KVs) != 0 {
		t.Errorf("count only: %v, count %d, %d kvs", err, r.Count, len(r.KVs))
	}
	r, err = c.Get(ctx, kv.New().WithKey(p).WithPrefix().WithLimit(1))
	if err != nil || r.Count != 5 || len(r.KVs) != 1 || !r.More {
		t.Errorf("limit keeps count: %v %+v", err, r)
	}
	r, err = c.Get(ctx, kv.New().WithAll().WithCountOnly())
	if err != nil || r.Count < 5 {
		t.Errorf("all keys: %v, count %d", err, r.Count)
	}
}

func TestPrefixEdgeCases(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	p := prefix(t)
	for _, k := range []string{p + "a\xff", p + "a\xff\x01", p + "b", p + "a"} {
		if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("x")); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.Get(ctx, kv.New().WithKey(p+"a\xff").WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(r), []string{p + "a\xff", p + "a\xff\x01"}; !equal(got, want) {
		t.Errorf("prefix a\\xff = %q, want %q", got, want)
	}
}

func TestRangeInvalidNotSent(t *testing.T) {
	c := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "a"
	_, err := c.Get(ctx, kv.New().WithKey(k).WithPrefix().WithFromKey())
	if !errors.Is(err, conn.ErrInvalidRequest) {
		t.Errorf("prefix+from-key = %v, want ErrInvalidRequest", err)
	}
	_, err = c.Put(ctx, kv.New().WithKey(k).WithLimit(1))
	if !errors.Is(err, conn.ErrInvalidRequest) {
		t.Errorf("limit on put = %v, want ErrInvalidRequest", err)
	}
	r, err := c.Get(ctx, kv.New().WithKey(k))
	if err != nil || len(r.KVs) != 0 {
		t.Errorf("the rejected put was sent: %v %+v", err, r)
	}
}
