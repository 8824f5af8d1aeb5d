package op_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func TestOpCompile(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   op.Op
		kind op.Kind
		want *pb.RequestOp
	}{
		{"put", op.Put(kv.New().WithKey("k").WithValue("v").WithLease(3).WithPrevKV()), op.KindPut,
			&pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: b("k"), Value: b("v"), Lease: 3, PrevKv: true}}}},
		{"get", op.Get(kv.New().WithKey("a\xff").WithPrefix().WithLimit(2)), op.KindGet,
			&pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: b("a\xff"), RangeEnd: b("b"), Limit: 2}}}},
		{"get serializable sorted", op.Get(kv.New().WithKey("x").WithFromKey().WithSort(kv.SortByValue, kv.SortDescend).WithSerializable()), op.KindGet,
			&pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: b("x"), RangeEnd: b("\x00"),
				SortTarget: pb.RangeRequest_VALUE, SortOrder: pb.RangeRequest_DESCEND, Serializable: true}}}},
		{"delete", op.Delete(kv.New().WithKey("K").WithPrefix().WithPrevKV()), op.KindDelete,
			&pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: b("K"), RangeEnd: b("L"), PrevKv: true}}}},
		{"nested", op.Nested(op.If(compare.Missing("k")).Then(op.Put(kv.New().WithKey("k")))), op.KindTxn,
			&pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{
				Compare: []*pb.Compare{{Key: b("k"), Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{}}},
				Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: b("k")}}}},
			}}}},
		{"nested empty", op.Nested(op.NewTxn()), op.KindTxn,
			&pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.op.Kind(); got != tc.kind {
				t.Errorf("Kind() = %v, want %v", got, tc.kind)
			}
			got, err := tc.op.Compile()
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tc.want, got)
		})
	}
}

func TestOpAccessors(t *testing.T) {
	r := kv.New().WithKey("k").WithValue("v")
	if got := op.Put(r).Request(); got != r {
		t.Errorf("Put(r).Request() = %+v, want %+v", got, r)
	}
	if got := op.Nested(op.NewTxn()).Request(); got != kv.New() {
		t.Errorf("Nested(...).Request() = %+v, want the empty request", got)
	}
	for k, want := range map[op.Kind]string{op.KindPut: "put", op.KindGet: "get", op.KindDelete: "delete", op.KindTxn: "txn", 0: "none", 9: "none"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int8(k), got, want)
		}
	}
	if got := (op.Op{}).Kind(); got != 0 {
		t.Errorf("zero Op kind = %v, want 0", got)
	}
}
