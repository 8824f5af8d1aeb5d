package op_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
)

// txnWire is the no-copy compiler package op installs (see internal/wire).
var txnWire = wire.Txn.(func(op.Txn, wire.Mode) (*pb.TxnRequest, error))

func TestTxnWireMatchesCompile(t *testing.T) {
	txn := op.If(
		compare.Key("a").ModRevision(compare.Equal, 3),
		compare.Prefix("p/").Version(compare.GreaterOrEqual, 1),
		compare.Key("b").Value(compare.NotEqual, "x"),
	).Then(
		op.Put(kv.New().WithKey("a").WithValue("v").WithPrevKV()),
		op.Delete(kv.New().WithKey("p/").WithPrefix()),
		op.Nested(op.If(compare.Missing("c")).Then(op.Get(kv.New().WithKey("c").WithFromKey()))),
	).Else(op.Get(kv.New().WithAll().WithCountOnly()))
	want, err := txn.Compile()
	if err != nil {
		t.Fatal(err)
	}
	got, err := txnWire(txn, wire.Alias)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("CompileWire differs (-want +got):\n%s", diff)
	}
	bad := op.NewTxn().Then(op.Put(kv.New().WithKey("")))
	if _, err := txnWire(bad, wire.Alias); err == nil {
		t.Errorf("CompileWire accepted an empty key")
	}
}
