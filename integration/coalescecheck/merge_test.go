package coalescecheck

import (
	"errors"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/tests/v3/robustness/identity"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.etcd.io/etcd/tests/v3/robustness/validate"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The histories here are written by hand: a put of a and one of b
// coalesced into one transaction at revision 2, and a list afterwards that
// sees both at revision 2.

const ms = time.Millisecond

func getResp(rev int64, kvs ...*mvccpb.KeyValue) *clientv3.GetResponse {
	return (*clientv3.GetResponse)(&pb.RangeResponse{Header: &pb.ResponseHeader{Revision: rev}, Kvs: kvs, Count: int64(len(kvs))})
}

func putResp(rev int64) *clientv3.PutResponse {
	return (*clientv3.PutResponse)(&pb.PutResponse{Header: &pb.ResponseHeader{Revision: rev}})
}

func kvAt(k, v string, rev int64) *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: []byte(k), Value: []byte(v), CreateRevision: rev, ModRevision: rev, Version: 1}
}

var errLost = errors.New("unknown outcome")

// batchHistory: the empty read, the two puts in [10,20] and [from,to]
// answered (or failed, when lost), the list.
func batchHistory(ids identity.Provider, from, to time.Duration, lost bool) []report.ClientReport {
	a, b, c := model.NewAppendableHistory(ids), model.NewAppendableHistory(ids), model.NewAppendableHistory(ids)
	a.AppendRange("a", "", 0, 0, false, 1*ms, 2*ms, getResp(1), nil)
	if lost {
		b.AppendPut("a", "1", 10*ms, 20*ms, nil, errLost)
		c.AppendPut("b", "2", from, to, nil, errLost)
	} else {
		b.AppendPut("a", "1", 10*ms, 20*ms, putResp(2), nil)
		c.AppendPut("b", "2", from, to, putResp(2), nil)
	}
	a.AppendRange("a", "c", 0, 0, false, 50*ms, 60*ms, getResp(2, kvAt("a", "1", 2), kvAt("b", "2", 2)), nil)
	return []report.ClientReport{{ClientID: 0, KeyValue: a.Operations()}, {ClientID: 1, KeyValue: b.Operations()}, {ClientID: 2, KeyValue: c.Operations()}}
}

// oneTxn is what the WAL holds: both puts in one transaction.
var oneTxn = []model.EtcdRequest{{Type: model.Txn, Txn: &model.TxnRequest{OperationsOnSuccess: []model.EtcdOperation{
	{Type: model.PutOperation, Put: model.PutOptions{Key: "a", Value: model.ToValueOrHash("1")}},
	{Type: model.PutOperation, Put: model.PutOptions{Key: "b", Value: model.ToValueOrHash("2")}},
}}}}

func linearization(reports []report.ClientReport) validate.ResultStatus {
	return validate.ValidateAndReturnVisualize(zap.NewNop(), validate.Config{}, reports, oneTxn, time.Minute).Linearization.Status
}

func TestMergeBatch(t *testing.T) {
	ids := identity.NewIDProvider()
	h := batchHistory(ids, 12*ms, 22*ms, false)
	if got := linearization(h); got != validate.Failure {
		t.Errorf("two puts answered with one revision, as separate requests: %q, want a failure", got)
	}
	if v := Revisions(h, oneTxn); len(v) != 0 {
		t.Errorf("Revisions: %v", v)
	}
	merged, st, v := Merge(h, oneTxn, ids)
	if len(v) != 0 || st.Batches != 1 || st.Merged != 2 {
		t.Fatalf("Merge: %+v, %v; want one batch of two", st, v)
	}
	if got := linearization(merged); got != validate.Success {
		t.Errorf("merged: %q, want a success", got)
	}

	// The same answers to puts that were never in flight together: no
	// transaction can have carried both.
	h = batchHistory(ids, 25*ms, 28*ms, false)
	if _, _, v := Merge(h, oneTxn, ids); len(v) != 1 || !strings.Contains(v[0], "do not overlap") {
		t.Errorf("Merge of disjoint puts: %v, want one violation", v)
	}
	if v := Revisions(h, oneTxn); len(v) != 1 || !strings.Contains(v[0], "no instant") {
		t.Errorf("Revisions of disjoint puts: %v, want one violation", v)
	}
	// A list that says revision 2 but misses b.
	h = batchHistory(ids, 12*ms, 22*ms, false)
	h[0].KeyValue[1].Output = model.MaybeEtcdResponse{EtcdResponse: model.EtcdResponse{Revision: 2, Range: &model.RangeResponse{
		KVs: []model.KeyValue{{Key: "a", ValueRevision: model.ValueRevision{Value: model.ToValueOrHash("1"), ModRevision: 2, Version: 1}}}, Count: 1}}}
	if v := Revisions(h, oneTxn); len(v) != 1 {
		t.Errorf("Revisions of a list missing a key: %v, want one violation", v)
	}
	merged, _, _ = Merge(h, oneTxn, ids)
	if got := linearization(merged); got != validate.Failure {
		t.Errorf("merged, list missing a key: %q, want a failure", got)
	}
}

func TestMergeUnknown(t *testing.T) {
	ids := identity.NewIDProvider()
	h := batchHistory(ids, 12*ms, 22*ms, true)
	merged, st, v := Merge(h, oneTxn, ids)
	if len(v) != 0 || st.Batches != 1 || st.Unknown != 2 {
		t.Fatalf("Merge: %+v, %v; want both lost puts placed in one batch", st, v)
	}
	if got := linearization(merged); got != validate.Success {
		t.Errorf("lost puts placed in their batch: %q, want a success", got)
	}
	// Without the WAL they stay apart, each with a revision of its own,
	// which the list contradicts.
	apart, st, _ := Merge(h, nil, ids)
	if st.Batches != 0 {
		t.Fatalf("Merge without the WAL: %+v", st)
	}
	if got := linearization(apart); got != validate.Failure {
		t.Errorf("lost puts left apart: %q, want a failure", got)
	}
}

// Two deletes of k of unknown outcome, the first called at 10 ms, the
// second at 50 ms; the log applies one alone at revision 3 (before 50 ms,
// as the read at 40 ms shows) and the other in a batch with a put at
// revision 5. The first called must stay with the lone one: given to the
// batch, it would leave the lone delete to a request called after the read
// that saw its effect.
func TestMergeUnknownDeletes(t *testing.T) {
	ids := identity.NewIDProvider()
	a, b, c, d := model.NewAppendableHistory(ids), model.NewAppendableHistory(ids), model.NewAppendableHistory(ids), model.NewAppendableHistory(ids)
	a.AppendRange("k", "", 0, 0, false, 1*ms, 2*ms, getResp(1), nil)
	a.AppendPut("k", "1", 3*ms, 4*ms, putResp(2), nil)
	b.AppendDelete("k", 10*ms, 12*ms, nil, errLost)
	a.AppendRange("k", "", 0, 0, false, 40*ms, 45*ms, getResp(3), nil)
	a.AppendPut("k", "2", 46*ms, 47*ms, putResp(4), nil)
	c.AppendDelete("k", 50*ms, 52*ms, nil, errLost)
	d.AppendPut("m", "3", 51*ms, 60*ms, putResp(5), nil)
	a.AppendRange("k", "n", 0, 0, false, 70*ms, 80*ms, getResp(5, kvAt("m", "3", 5)), nil)
	h := []report.ClientReport{{ClientID: 0, KeyValue: a.Operations()}, {ClientID: 1, KeyValue: b.Operations()},
		{ClientID: 2, KeyValue: c.Operations()}, {ClientID: 3, KeyValue: d.Operations()}}
	put := func(k, v string) model.EtcdOperation {
		return model.EtcdOperation{Type: model.PutOperation, Put: model.PutOptions{Key: k, Value: model.ToValueOrHash(v)}}
	}
	del := model.EtcdOperation{Type: model.DeleteOperation, Delete: model.DeleteOptions{Key: "k"}}
	txn := func(ops ...model.EtcdOperation) model.EtcdRequest {
		return model.EtcdRequest{Type: model.Txn, Txn: &model.TxnRequest{OperationsOnSuccess: ops}}
	}
	wal := []model.EtcdRequest{txn(put("k", "1")), txn(del), txn(put("k", "2")), txn(del, put("m", "3"))}
	merged, st, v := Merge(h, wal, ids)
	if len(v) != 0 || st.Batches != 1 || st.Unknown != 1 {
		t.Fatalf("Merge: %+v, %v; want one batch with one delete of unknown outcome", st, v)
	}
	res := validate.ValidateAndReturnVisualize(zap.NewNop(), validate.Config{}, merged, wal, time.Minute)
	if res.Linearization.Status != validate.Success {
		t.Errorf("linearization %q, want a success", res.Linearization.Status)
	}
}
