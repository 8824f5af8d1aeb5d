package compare_test

import (
	"fmt"

	"github.com/getcd/getcd/compare"
)

// The condition of eetcd's compare-and-swap sample:
// eetcd_compare:mod_revision(eetcd_compare:new(Kv1), "=", ModRev).
func Example() {
	const modRev = 7 // from a previous get of Kv1
	c, err := compare.Key("Kv1").ModRevision(compare.Equal, modRev).Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("key=%q target=%v result=%v mod_revision=%d\n", c.Key, c.Target, c.Result, c.GetModRevision())
	// Output:
	// key="Kv1" target=MOD result=EQUAL mod_revision=7
}

// etcd has no >=; getcd rewrites it for the integer targets.
func ExampleSubject_Version() {
	c, _ := compare.Prefix("jobs/").Version(compare.GreaterOrEqual, 3).Compile()
	fmt.Printf("key=%q range_end=%q result=%v version=%d\n", c.Key, c.RangeEnd, c.Result, c.GetVersion())
	// Output:
	// key="jobs/" range_end="jobs0" result=GREATER version=2
}

func ExampleMissing() {
	c, _ := compare.Missing("lock").Compile()
	fmt.Printf("key=%q target=%v result=%v create_revision=%d\n", c.Key, c.Target, c.Result, c.GetCreateRevision())
	// Output:
	// key="lock" target=CREATE result=EQUAL create_revision=0
}

func ExampleSubject_Value() {
	c, _ := compare.Key("leader").Value(compare.Equal, "node-1").Compile()
	fmt.Printf("key=%q target=%v value=%q\n", c.Key, c.Target, c.GetValue())
	_, err := compare.Key("leader").Value(compare.GreaterOrEqual, "node-1").Compile()
	fmt.Println(err != nil)
	// Output:
	// key="leader" target=VALUE value="node-1"
	// true
}
