package kv_test

import (
	"math"
	"testing"
	"time"

	kv "github.com/getcd/getcd/ctx"
)

// compileAs compiles r as the given request kind and returns the error only.
func compileAs(r kv.Request, kind string) error {
	var err error
	switch kind {
	case "range":
		_, err = r.RangeRequest()
	case "put":
		_, err = r.PutRequest()
	case "delete":
		_, err = r.DeleteRequest()
	case "compact":
		_, err = r.CompactRequest()
	default:
		panic("unknown kind " + kind)
	}
	return err
}

// TestInvalid lists every invalid combination: each must return an error
// that matches kv.ErrInvalidRequest and names the field; none may panic.
func TestInvalid(t *testing.T) {
	k := kv.New().WithKey("k")
	for _, tc := range []struct {
		name, kind string
		req        kv.Request
		field      string
	}{
		// Range intent conflicts.
		{"prefix with from key", "range", k.WithPrefix().WithFromKey(), "range_end"},
		{"prefix with range end", "range", k.WithPrefix().WithRangeEnd("z"), "range_end"},
		{"from key with range end", "range", k.WithFromKey().WithRangeEnd("z"), "range_end"},
		{"all with prefix", "range", kv.New().WithAll().WithPrefix(), "range_end"},
		{"all with a key", "range", k.WithAll(), "key"},
		{"delete prefix with from key", "delete", k.WithPrefix().WithFromKey(), "range_end"},
		{"delete all with a key", "delete", k.WithAll(), "key"},
		{"top on a range end", "range", k.WithRangeEnd("z").WithFirstKey(), "range_end"},
		// Options the kind does not use.
		{"value on a get", "range", k.WithValue("v"), "value"},
		{"lease on a get", "range", k.WithLease(1), "lease"},
		{"prev kv on a get", "range", k.WithPrevKV(), "prev_kv"},
		{"physical on a get", "range", k.WithPhysical(), "physical"},
		{"ignore value on a get", "range", k.WithIgnoreValue(), "ignore_value"},
		{"sort on put", "put", k.WithValue("v").WithSort(kv.SortByKey, kv.SortAscend), "sort"},
		{"limit on put", "put", k.WithValue("v").WithLimit(1), "limit"},
		{"prefix on put", "put", k.WithValue("v").WithPrefix(), "prefix"},
		{"rev on put", "put", k.WithRev(3), "revision"},
		{"serializable on put", "put", k.WithSerializable(), "serializable"},
		{"top on put", "put", k.WithFirstKey(), "prefix"},
		{"lease on delete", "delete", k.WithLease(5), "lease"},
		{"value on delete", "delete", k.WithValue("v"), "value"},
		{"limit on delete", "delete", k.WithLimit(1), "limit"},
		{"count only on delete", "delete", k.WithCountOnly(), "count_only"},
		{"key on compact", "compact", k.WithRev(5), "key"},
		{"prev kv on compact", "compact", kv.New().WithRev(5).WithPrevKV(), "prev_kv"},
		// Negative numbers.
		{"negative limit", "range", k.WithLimit(-1), "limit"},
		{"negative revision", "range", k.WithRev(-1), "revision"},
		{"negative min mod", "range", k.WithMinModRev(-1), "min_mod_revision"},
		{"negative max mod", "range", k.WithMaxModRev(math.MinInt64), "max_mod_revision"},
		{"negative min create", "range", k.WithMinCreateRev(-2), "min_create_revision"},
		{"negative max create", "range", k.WithMaxCreateRev(-3), "max_create_revision"},
		{"negative lease", "put", k.WithLease(-1), "lease"},
		{"negative timeout range", "range", k.WithTimeout(-time.Second), "timeout"},
		{"negative timeout put", "put", k.WithTimeout(-1), "timeout"},
		{"negative timeout delete", "delete", k.WithTimeout(-1), "timeout"},
		{"negative timeout compact", "compact", kv.New().WithRev(1).WithTimeout(-1), "timeout"},
		// Sorting.
		{"unknown sort target", "range", k.WithPrefix().WithSort(kv.SortTarget(5), kv.SortAscend), "sort_target"},
		{"negative sort target", "range", k.WithPrefix().WithSort(kv.SortTarget(-1), kv.SortAscend), "sort_target"},
		{"unknown sort order", "range", k.WithPrefix().WithSort(kv.SortByKey, kv.SortOrder(3)), "sort_order"},
		{"negative sort order", "range", k.WithPrefix().WithSort(kv.SortByKey, kv.SortOrder(-1)), "sort_order"},
		{"sort on a single key", "range", k.WithSort(kv.SortByKey, kv.SortAscend), "sort"},
		// Keys and range ends.
		{"empty range", "range", kv.New(), "key"},
		{"empty range key", "range", kv.New().WithKey(""), "key"},
		{"empty range key bytes", "range", kv.New().WithKeyBytes(nil), "key"},
		{"empty put key", "put", kv.New().WithValue("v"), "key"},
		{"empty delete key", "delete", kv.New(), "key"},
		{"range end without key", "range", kv.New().WithRangeEnd("z"), "key"},
		{"empty range end", "range", k.WithRangeEnd(""), "range_end"},
		{"range end equal to key", "range", k.WithRangeEnd("k"), "range_end"},
		{"range end before key", "range", k.WithRangeEnd("a"), "range_end"},
		{"delete range end before key", "delete", k.WithRangeEnd("a"), "range_end"},
		{"delete empty range end", "delete", k.WithRangeEnd(""), "range_end"},
		// Compaction.
		{"compact without revision", "compact", kv.New(), "revision"},
		{"compact at zero", "compact", kv.New().WithRev(0), "revision"},
		{"compact negative", "compact", kv.New().WithRev(-4).WithPhysical(), "revision"},
		// Put flags.
		{"ignore value with value", "put", k.WithValue("v").WithIgnoreValue(), "value"},
		{"ignore value with empty value", "put", k.WithIgnoreValue().WithValue(""), "value"},
		{"ignore lease with lease", "put", k.WithLease(7).WithIgnoreLease(), "lease"},
		{"ignore lease with lease zero", "put", k.WithIgnoreLease().WithLease(0), "lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFieldError(t, compileAs(tc.req, tc.kind), tc.kind, tc.field)
		})
	}
}

// TestInvalidMessages pins a few full error strings: they start with the
// package name, are lower case and have no trailing period.
func TestInvalidMessages(t *testing.T) {
	for _, tc := range []struct {
		kind string
		req  kv.Request
		want string
	}{
		{"range", kv.New().WithKey("k").WithLimit(-1), "kv: invalid range request: limit: must not be negative, got -1"},
		{"put", kv.New().WithKey("k").WithLimit(1), "kv: invalid put request: limit: not used by a put request"},
		{"range", kv.New().WithKey("k").WithPrefix().WithFromKey(), "kv: invalid range request: range_end: only one of WithPrefix, WithFromKey, WithRangeEnd and WithAll may be used, got prefix and from_key"},
		{"delete", kv.New().WithKey("k").WithTimeout(-time.Second), "kv: invalid delete request: timeout: must not be negative, got -1s"},
	} {
		err := compileAs(tc.req, tc.kind)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s error = %v, want %q", tc.kind, err, tc.want)
		}
	}
}
