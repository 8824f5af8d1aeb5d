package op_test

import (
	"testing"
	"time"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func TestInvalidOp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		op        op.Op
		pkg, req  string
		wantField string
	}{
		{"zero op", op.Op{}, "op", "op", "request"},
		{"put without key", op.Put(kv.New().WithValue("v")), "kv", "put", "key"},
		{"put with sort", op.Put(kv.New().WithKey("k").WithSort(kv.SortByKey, kv.SortAscend)), "kv", "put", "sort"},
		{"put with limit", op.Put(kv.New().WithKey("k").WithLimit(1)), "kv", "put", "limit"},
		{"get with value", op.Get(kv.New().WithKey("k").WithValue("v")), "kv", "range", "value"},
		{"get sorted single key", op.Get(kv.New().WithKey("k").WithSort(kv.SortByKey, kv.SortAscend)), "kv", "range", "sort"},
		{"delete with lease", op.Delete(kv.New().WithKey("k").WithLease(1)), "kv", "delete", "lease"},
		{"nested with zero cond", op.Nested(op.If(compare.Cond{})), "op", "txn", "compare[0].target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.op.Compile()
			if got != nil {
				t.Errorf("got a message with the error")
			}
			wantFieldError(t, err, tc.pkg, tc.req, tc.wantField)
		})
	}
}

// TestInvalidTxn checks that every error inside a transaction names its
// position, for example "success[1].key".
func TestInvalidTxn(t *testing.T) {
	ok := op.Put(kv.New().WithKey("ok").WithValue("v"))
	okCond := compare.Exists("ok")
	for _, tc := range []struct {
		name  string
		txn   op.Txn
		field string
	}{
		{"zero cond", op.If(okCond, compare.Cond{}), "compare[1].target"},
		{">= on a value", op.If(compare.Key("k").Value(compare.GreaterOrEqual, "v")), "compare[0].result"},
		{"<= MaxInt64", op.If(okCond, okCond, compare.Key("k").Version(compare.LessOrEqual, 1<<63-1)), "compare[2].result"},
		{"empty compare key", op.If(compare.Key("").Version(compare.Equal, 1)), "compare[0].key"},
		{"zero op in then", op.NewTxn().Then(ok, op.Op{}), "success[1].request"},
		{"zero op in else", op.NewTxn().Else(op.Op{}), "failure[0].request"},
		{"empty put key in then", op.If(okCond).Then(ok, op.Put(kv.New().WithValue("v"))), "success[1].key"},
		{"lease on delete in else", op.If(okCond).Else(ok, ok, op.Delete(kv.New().WithKey("k").WithLease(3))), "failure[2].lease"},
		{"nested: deep position", op.NewTxn().Then(ok, op.Nested(op.NewTxn().Else(op.Nested(op.NewTxn().Then(ok, op.Get(kv.New().WithKey("k").WithLimit(-1))))))),
			"success[1].failure[0].success[1].limit"},
		{"nested compare", op.NewTxn().Else(op.Nested(op.If(compare.Range("b", "a").Version(compare.Equal, 1)))), "failure[0].compare[0].range_end"},
		{"negative timeout", op.NewTxn().WithTimeout(-time.Millisecond), "timeout"},
		{"negative max ops", op.NewTxn().WithMaxOps(-1), "max_ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.txn.Compile()
			if got != nil {
				t.Errorf("got a message with the error")
			}
			wantFieldError(t, err, "op", "txn", tc.field)
		})
	}
}

func TestInvalidTxnMessage(t *testing.T) {
	_, err := op.NewTxn().Then(op.Put(kv.New().WithKey("a")), op.Put(kv.New())).Compile()
	const want = "op: invalid txn request: success[1].key: empty key; etcd rejects it"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
