package kv_test

import (
	"testing"
	"time"

	kv "github.com/getcd/getcd/ctx"
)

// Package-level sinks keep the compiler from optimising the work away.
var (
	sinkReq kv.Request
	sinkErr error
)

// TestAllocsChain shows that building a request allocates nothing: Request is
// a value and With* only copies it.
func TestAllocsChain(t *testing.T) {
	key := "config/"
	got := testing.AllocsPerRun(1000, func() {
		sinkReq = kv.On("main").WithKey(key).WithPrefix().WithSort(kv.SortByKey, kv.SortDescend).
			WithLimit(10).WithRev(5).WithSerializable().WithKeysOnly().WithMinModRev(1).WithMaxModRev(9).
			WithMinCreateRev(1).WithMaxCreateRev(9).WithTimeout(time.Second).WithValue("v").WithLease(3).
			WithPrevKV().WithIgnoreLease().WithLastRev().WithConn("other")
	})
	if got != 0 {
		t.Fatalf("With* chain: %v allocs/op, want 0", got)
	}
}

// TestAllocsCompile pins the allocations of each compile: one for the
// message, one for each byte slice it owns (key, range_end, value), nothing
// else.
func TestAllocsCompile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compile func() error
		want    float64
	}{
		// message + key
		{"range single key", func() error {
			_, err := kv.New().WithKey("k").WithSerializable().RangeRequest()
			return err
		}, 2},
		// message + key + range_end
		{"range prefix+sort+limit", func() error {
			_, err := kv.New().WithKey("config/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend).WithLimit(10).RangeRequest()
			return err
		}, 3},
		// message + key ("\x00") + range_end ("\x00")
		{"range all", func() error {
			_, err := kv.New().WithAll().RangeRequest()
			return err
		}, 3},
		// message + key + value
		{"put key value", func() error {
			_, err := kv.New().WithKey("key").WithValue("value").WithLease(1).PutRequest()
			return err
		}, 3},
		// message + key (an empty value stays nil)
		{"put key only", func() error {
			_, err := kv.New().WithKey("key").WithIgnoreValue().PutRequest()
			return err
		}, 2},
		// message + key + range_end
		{"delete prefix", func() error {
			_, err := kv.New().WithKey("K").WithPrefix().WithPrevKV().DeleteRequest()
			return err
		}, 3},
		// message only
		{"compact", func() error {
			_, err := kv.New().WithRev(10).WithPhysical().CompactRequest()
			return err
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(1000, func() { sinkErr = tc.compile() })
			if sinkErr != nil {
				t.Fatal(sinkErr)
			}
			if got != tc.want {
				t.Fatalf("%v allocs/op, want %v", got, tc.want)
			}
		})
	}
}
