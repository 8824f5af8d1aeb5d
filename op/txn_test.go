package op_test

import (
	"slices"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func putOp(k, v string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: b(k), Value: b(v)}}}
}

func getOp(k string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: b(k)}}}
}

func modEq(k string, rev int64) *pb.Compare {
	return &pb.Compare{Key: b(k), Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_ModRevision{ModRevision: rev}}
}

func TestTxnCompile(t *testing.T) {
	put := func(k, v string) op.Op { return op.Put(kv.New().WithKey(k).WithValue(v)) }
	get := func(k string) op.Op { return op.Get(kv.New().WithKey(k)) }
	for _, tc := range []struct {
		name string
		txn  op.Txn
		want *pb.TxnRequest
	}{
		{"empty", op.NewTxn(), &pb.TxnRequest{}},
		{"if with no conditions", op.If(), &pb.TxnRequest{}},
		{"then only", op.NewTxn().Then(put("k", "v")), &pb.TxnRequest{Success: []*pb.RequestOp{putOp("k", "v")}}},
		{"else only", op.NewTxn().Else(get("k")), &pb.TxnRequest{Failure: []*pb.RequestOp{getOp("k")}}},
		{"cas", op.If(compare.Key("k").ModRevision(compare.Equal, 7)).Then(put("k", "new")).Else(get("k")),
			&pb.TxnRequest{Compare: []*pb.Compare{modEq("k", 7)}, Success: []*pb.RequestOp{putOp("k", "new")}, Failure: []*pb.RequestOp{getOp("k")}}},
		{"if, then, else appended in steps", op.If(compare.Key("a").ModRevision(compare.Equal, 1)).Then(put("a", "1")).
			If(compare.Key("b").ModRevision(compare.Equal, 2)).Else(get("a")).Then(put("b", "2"), put("c", "3")).Else(get("b")),
			&pb.TxnRequest{
				Compare: []*pb.Compare{modEq("a", 1), modEq("b", 2)},
				Success: []*pb.RequestOp{putOp("a", "1"), putOp("b", "2"), putOp("c", "3")},
				Failure: []*pb.RequestOp{getOp("a"), getOp("b")},
			}},
		{"every op kind", op.If(compare.Exists("x")).Then(
			op.Put(kv.New().WithKey("p").WithValue("v")),
			op.Get(kv.New().WithKey("g").WithPrefix()),
			op.Delete(kv.New().WithKey("q").WithFromKey().WithPrevKV()),
			op.Nested(op.If(compare.Key("n").Version(compare.LessOrEqual, 2)).Else(get("n"))),
		), &pb.TxnRequest{
			Compare: []*pb.Compare{{Key: b("x"), Target: pb.Compare_CREATE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_CreateRevision{}}},
			Success: []*pb.RequestOp{
				putOp("p", "v"),
				{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: b("g"), RangeEnd: b("h")}}},
				{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: &pb.DeleteRangeRequest{Key: b("q"), RangeEnd: b("\x00"), PrevKv: true}}},
				{Request: &pb.RequestOp_RequestTxn{RequestTxn: &pb.TxnRequest{
					Compare: []*pb.Compare{{Key: b("n"), Target: pb.Compare_VERSION, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_Version{Version: 3}}},
					Failure: []*pb.RequestOp{getOp("n")},
				}}},
			},
		}},
		{"conn and timeout are not fields", op.If(compare.Exists("k")).WithConn("c").WithTimeout(time.Second).WithMaxOps(4),
			&pb.TxnRequest{Compare: []*pb.Compare{{Key: b("k"), Target: pb.Compare_CREATE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_CreateRevision{}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.txn.Compile()
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tc.want, got)
		})
	}
}

func TestTxnAccessors(t *testing.T) {
	c := compare.Missing("k")
	o := op.Put(kv.New().WithKey("k"))
	e := op.Get(kv.New().WithKey("k"))
	txn := op.If(c).Then(o).Else(e).WithConn("main").WithTimeout(2 * time.Second)
	if txn.Conn() != "main" || txn.Timeout() != 2*time.Second {
		t.Errorf("Conn, Timeout = %q, %v", txn.Conn(), txn.Timeout())
	}
	if got := txn.Conds(); len(got) != 1 || got[0] != c {
		t.Errorf("Conds() = %+v", got)
	}
	if got := txn.ThenOps(); len(got) != 1 || got[0].Kind() != op.KindPut || got[0].Request() != o.Request() {
		t.Errorf("ThenOps() = %+v", got)
	}
	if got := txn.ElseOps(); len(got) != 1 || got[0].Kind() != op.KindGet || got[0].Request() != e.Request() {
		t.Errorf("ElseOps() = %+v", got)
	}
	// The accessors return copies.
	txn.Conds()[0] = compare.Exists("other")
	txn.ThenOps()[0] = op.Delete(kv.New().WithKey("other"))
	txn.ElseOps()[0] = op.Op{}
	got, err := txn.Compile()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: b("k"), Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: b("k")}}}},
		Failure: []*pb.RequestOp{getOp("k")},
	}, got)
	if got := op.NewTxn().Conds(); got != nil {
		t.Errorf("empty txn Conds() = %v, want nil", got)
	}
}

// A transaction without a name of its own runs on the name its requests
// agree on; requests that disagree leave it without one.
func TestTxnConnFromRequests(t *testing.T) {
	put := func(conn, k string) op.Op { return op.Put(kv.On(conn).WithKey(k)) }
	for _, tc := range []struct {
		name  string
		txn   op.Txn
		conn  string
		names []string
	}{
		{"none", op.NewTxn().Then(op.Put(kv.New().WithKey("k"))), "", nil},
		{"all agree", op.NewTxn().Then(put("main", "a")).Else(put("main", "b")), "main", []string{"main"}},
		{"unnamed ones do not count", op.NewTxn().Then(put("main", "a"), op.Get(kv.New().WithKey("b"))), "main", []string{"main"}},
		{"nested", op.NewTxn().Then(op.Nested(op.NewTxn().Else(put("main", "a")))), "main", []string{"main"}},
		{"nested txn's own name", op.NewTxn().Then(op.Nested(op.NewTxn().WithConn("main"))), "main", []string{"main"}},
		{"disagree", op.NewTxn().Then(put("main", "a")).Else(put("other", "b")), "", []string{"main", "other"}},
		{"disagree in nested", op.NewTxn().Then(put("main", "a"), op.Nested(op.NewTxn().Then(put("other", "b")))), "", []string{"main", "other"}},
		{"own name wins", op.NewTxn().Then(put("main", "a")).Else(put("other", "b")).WithConn("third"), "third", []string{"main", "other"}},
	} {
		if got := tc.txn.Conn(); got != tc.conn {
			t.Errorf("%s: Conn() = %q, want %q", tc.name, got, tc.conn)
		}
		if got := tc.txn.RequestConns(); !slices.Equal(got, tc.names) {
			t.Errorf("%s: RequestConns() = %q, want %q", tc.name, got, tc.names)
		}
	}
}
