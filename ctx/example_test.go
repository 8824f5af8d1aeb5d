package kv_test

import (
	"errors"
	"fmt"

	kv "github.com/getcd/getcd/ctx"
)

// The "creates" sample of eetcd's README: eetcd_kv:put(Name, "key", "value").
func Example() {
	put, err := kv.On("etcd_example_conn").WithKey("key").WithValue("value").PutRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("put key=%q value=%q\n", put.Key, put.Value)
	// Output:
	// put key="key" value="value"
}

// The "updates" sample: eetcd sends with_value together with
// with_ignore_value and the server answers "etcdserver: value is provided".
// getcd refuses to compile that request, and nothing is sent.
func ExampleRequest_PutRequest_ignoreValue() {
	base := kv.On("etcd_example_conn")
	_, err := base.WithKey("KeyExist").WithValue("NewValue").WithIgnoreValue().PutRequest()
	fmt.Println(errors.Is(err, kv.ErrInvalidRequest))
	fmt.Println(err)

	// Keeping the value while moving the key to another lease is fine.
	put, err := base.WithKey("KeyExist").WithIgnoreValue().WithLease(0x1234).PutRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("put key=%q ignore_value=%v lease=%#x\n", put.Key, put.IgnoreValue, put.Lease)
	// Output:
	// true
	// kv: invalid put request: value: WithValue and WithIgnoreValue are mutually exclusive
	// put key="KeyExist" ignore_value=true lease=0x1234
}

// The "fetches" samples: one key, then every key sorted by key.
func ExampleRequest_RangeRequest() {
	get, err := kv.New().WithKey("KeyExist").RangeRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("get key=%q range_end=%q\n", get.Key, get.RangeEnd)

	all, err := kv.New().WithKey("\x00").WithRangeEnd("\x00").WithSort(kv.SortByKey, kv.SortAscend).RangeRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("get key=%q range_end=%q sort=%v/%v\n", all.Key, all.RangeEnd, all.SortTarget, all.SortOrder)

	// WithAll says the same without the magic bytes.
	all2, _ := kv.New().WithAll().WithSort(kv.SortByKey, kv.SortAscend).RangeRequest()
	fmt.Printf("get key=%q range_end=%q\n", all2.Key, all2.RangeEnd)
	// Output:
	// get key="KeyExist" range_end=""
	// get key="\x00" range_end="\x00" sort=KEY/ASCEND
	// get key="\x00" range_end="\x00"
}

// The "deletes" samples: one key, then every key under the prefix "K".
func ExampleRequest_DeleteRequest() {
	one, err := kv.New().WithKey("KeyExist").DeleteRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delete key=%q range_end=%q\n", one.Key, one.RangeEnd)

	batch, err := kv.On("register").WithKey("K").WithPrefix().DeleteRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delete key=%q range_end=%q\n", batch.Key, batch.RangeEnd)
	// Output:
	// delete key="KeyExist" range_end=""
	// delete key="K" range_end="L"
}

// The watch sample of eetcd's README first lists the services under a prefix,
// keys only.
func ExampleRequest_WithKeysOnly() {
	get, err := kv.On("watch_example_conn").WithKey("heartbeat:").WithPrefix().WithKeysOnly().RangeRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("get key=%q range_end=%q keys_only=%v\n", get.Key, get.RangeEnd, get.KeysOnly)
	// Output:
	// get key="heartbeat:" range_end="heartbeat;" keys_only=true
}

// WithLastCreate finds the newest key under a prefix.
func ExampleRequest_WithLastCreate() {
	get, _ := kv.New().WithKey("jobs/").WithLastCreate().RangeRequest()
	fmt.Printf("key=%q range_end=%q sort=%v/%v limit=%d\n", get.Key, get.RangeEnd, get.SortTarget, get.SortOrder, get.Limit)
	// Output:
	// key="jobs/" range_end="jobs0" sort=CREATE/DESCEND limit=1
}

func ExampleRequest_CompactRequest() {
	c, err := kv.New().WithRev(1000).WithPhysical().CompactRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Revision, c.Physical)
	_, err = kv.New().CompactRequest()
	fmt.Println(err)
	// Output:
	// 1000 true
	// kv: invalid compact request: revision: compaction needs WithRev with a revision above zero
}

func ExamplePrefixEnd() {
	fmt.Printf("%q %q %q\n", kv.PrefixEnd("a"), kv.PrefixEnd("a\xff"), kv.PrefixEnd("\xff\xff"))
	// Output:
	// "b" "b" "\x00"
}
