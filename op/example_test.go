package op_test

import (
	"errors"
	"fmt"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// eetcd README's compare-and-swap, an etcd v2 CompareAndSwap built from a
// transaction:
//
//	Cmp  = eetcd_compare:new(Kv1),
//	If   = eetcd_compare:mod_revision(Cmp, "=", ModRev),
//	Then = eetcd_op:put(... with_key(Key), with_value(<<"Change", Value/binary>>)),
//	Else = [],
//	eetcd_kv:txn(EtcdConnName, If, Then, Else).
func Example() {
	// From a previous get of Kv1:
	const key, value, modRev = "Kv1", "Value", 7

	txn := op.If(compare.Key(key).ModRevision(compare.Equal, modRev)).
		Then(op.Put(kv.New().WithKey(key).WithValue("Change" + value))).
		WithConn("etcd_example_conn")

	req, err := txn.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	c := req.Compare[0]
	fmt.Printf("if %s %v %v %d\n", c.Key, c.Target, c.Result, c.GetModRevision())
	put := req.Success[0].GetRequestPut()
	fmt.Printf("then put %s=%s\n", put.Key, put.Value)
	fmt.Printf("else: %d ops\n", len(req.Failure))
	// Output:
	// if Kv1 MOD EQUAL 7
	// then put Kv1=ChangeValue
	// else: 0 ops
}

// A create-if-missing: put the key when it does not exist, otherwise read it.
func ExampleIf() {
	req, err := op.If(compare.Missing("config")).
		Then(op.Put(kv.New().WithKey("config").WithValue("v1"))).
		Else(op.Get(kv.New().WithKey("config"))).
		Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("if create_revision(%s) %v %d\n", req.Compare[0].Key, req.Compare[0].Result, req.Compare[0].GetCreateRevision())
	fmt.Printf("then put %s\n", req.Success[0].GetRequestPut().Key)
	fmt.Printf("else get %s\n", req.Failure[0].GetRequestRange().Key)
	// Output:
	// if create_revision(config) EQUAL 0
	// then put config
	// else get config
}

// Errors inside a transaction name where they are.
func ExampleTxn_Compile_invalid() {
	_, err := op.NewTxn().
		Then(op.Put(kv.New().WithKey("a").WithValue("1")), op.Delete(kv.New().WithKey("b").WithLease(5))).
		Compile()
	fmt.Println(errors.Is(err, op.ErrInvalidRequest))
	var fe *op.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field)
	}
	// Output:
	// true
	// success[1].lease
}

// A nested transaction runs inside the outer one.
func ExampleNested() {
	inner := op.If(compare.Key("b").Version(compare.GreaterOrEqual, 1)).
		Then(op.Delete(kv.New().WithKey("b").WithPrefix()))
	req, _ := op.NewTxn().Then(op.Nested(inner)).Compile()
	n := req.Success[0].GetRequestTxn()
	d := n.Success[0].GetRequestDeleteRange()
	fmt.Printf("nested: if version(%s) %v %d then delete [%q, %q)\n", n.Compare[0].Key, n.Compare[0].Result, n.Compare[0].GetVersion(), d.Key, d.RangeEnd)
	// Output:
	// nested: if version(b) GREATER 0 then delete ["b", "c")
}

// A transaction that writes a key twice in one branch is refused before
// anything is sent; here a delete of every key from "k" on and a put of "k".
func ExampleOverlapError() {
	_, err := op.NewTxn().
		Then(
			op.Delete(kv.New().WithKey("k").WithFromKey()),
			op.Put(kv.New().WithKey("k").WithIgnoreValue()),
		).
		Compile()
	fmt.Println(errors.Is(err, op.ErrInvalidRequest))
	var oe *op.OverlapError
	if errors.As(err, &oe) {
		fmt.Println(oe.FirstKind, oe.First, "and", oe.SecondKind, oe.Second, "both write", oe.Key)
	}
	// The same writes in the two branches never run together.
	_, err = op.If(compare.Exists("k")).
		Then(op.Delete(kv.New().WithKey("k").WithFromKey())).
		Else(op.Put(kv.New().WithKey("k").WithValue("v"))).
		Compile()
	fmt.Println(err)
	// Output:
	// true
	// delete success[0] and put success[1] both write k
	// <nil>
}
