package compare_test

import (
	"math"
	"testing"

	"github.com/getcd/getcd/compare"
)

func TestInvalid(t *testing.T) {
	k := compare.Key("k")
	for _, tc := range []struct {
		name  string
		cond  compare.Cond
		field string
	}{
		{"zero cond", compare.Cond{}, "target"},
		{"empty key", compare.Key("").Version(compare.Equal, 1), "key"},
		{"exists empty key", compare.Exists(""), "key"},
		{"missing empty key", compare.Missing(""), "key"},
		{"range without key", compare.Range("", "z").Version(compare.Equal, 1), "key"},
		{"empty range end", compare.Range("a", "").Version(compare.Equal, 1), "range_end"},
		{"range end equal to key", compare.Range("a", "a").Version(compare.Equal, 1), "range_end"},
		{"range end before key", compare.Range("b", "a").Version(compare.Equal, 1), "range_end"},
		{">= on a value", k.Value(compare.GreaterOrEqual, "v"), "result"},
		{"<= on a value", k.Value(compare.LessOrEqual, "v"), "result"},
		{"<= MaxInt64 version", k.Version(compare.LessOrEqual, math.MaxInt64), "result"},
		{"<= MaxInt64 mod", k.ModRevision(compare.LessOrEqual, math.MaxInt64), "result"},
		{"<= MaxInt64 lease", k.Lease(compare.LessOrEqual, math.MaxInt64), "result"},
		{"unknown operator", k.Version(compare.Op(0), 1), "result"},
		{"unknown operator on value", k.Value(compare.Op(7), "v"), "result"},
		{"negative operator", k.ModRevision(compare.Op(-1), 1), "result"},
		{"negative version", k.Version(compare.Equal, -1), "version"},
		{"negative create", k.CreateRevision(compare.Greater, -1), "create_revision"},
		{"negative mod", k.ModRevision(compare.GreaterOrEqual, math.MinInt64), "mod_revision"},
		{"negative lease", k.Lease(compare.NotEqual, -5), "lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cond.Compile()
			if got != nil {
				t.Errorf("got a message %v with the error", got)
			}
			wantFieldError(t, err, tc.field)
		})
	}
}

func TestInvalidMessage(t *testing.T) {
	_, err := compare.Key("k").Value(compare.GreaterOrEqual, "v").Compile()
	const want = "compare: invalid compare request: result: >= is only for integer targets; etcd compares values with =, !=, > and <"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
