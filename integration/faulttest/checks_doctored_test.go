package faulttest

import (
	"os"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/tests/v3/robustness/identity"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.uber.org/zap"
)

// Every checker is shown to fail on a doctored history and to pass on the
// honest one.

func get(rev int64, kvs ...*mvccpb.KeyValue) *clientv3.GetResponse {
	return (*clientv3.GetResponse)(&pb.RangeResponse{Header: &pb.ResponseHeader{Revision: rev}, Kvs: kvs, Count: int64(len(kvs))})
}

func put(rev int64) *clientv3.PutResponse {
	return (*clientv3.PutResponse)(&pb.PutResponse{Header: &pb.ResponseHeader{Revision: rev}})
}

// history: an empty read, a put of key0=a at revision 2, then a read that
// returns what stale says.
func doctoredHistory(stale bool) []report.ClientReport {
	h := model.NewAppendableHistory(identity.NewIDProvider())
	ms := time.Millisecond
	h.AppendRange("key0", "", 0, 0, false, 1*ms, 2*ms, get(1), nil)
	h.AppendPut("key0", "a", 3*ms, 4*ms, put(2), nil)
	if stale {
		h.AppendRange("key0", "", 0, 0, false, 5*ms, 6*ms, get(1), nil)
	} else {
		h.AppendRange("key0", "", 0, 0, false, 5*ms, 6*ms,
			get(2, &mvccpb.KeyValue{Key: []byte("key0"), Value: []byte("a"), CreateRevision: 2, ModRevision: 2, Version: 1}), nil)
	}
	return []report.ClientReport{{ClientID: 0, KeyValue: h.Operations()}}
}

var persistedPut = []model.EtcdRequest{{Type: model.Txn, Txn: &model.TxnRequest{
	OperationsOnSuccess: []model.EtcdOperation{{Type: model.PutOperation, Put: model.PutOptions{Key: "key0", Value: model.ToValueOrHash("a")}}}}}}

func TestValidatorsCatchStaleRead(t *testing.T) {
	t.Setenv("GETCD_FAULT_ARTIFACTS", t.TempDir())
	if _, err := validateHistory(zap.NewNop(), "honest", doctoredHistory(false), persistedPut); err != nil {
		t.Fatalf("honest history: %v", err)
	}
	path, err := validateHistory(zap.NewNop(), "doctored", doctoredHistory(true), persistedPut)
	if err == nil || !strings.Contains(err.Error(), "linearization") {
		t.Fatalf("stale read after a completed put: %v, want a linearization failure", err)
	}
	if b, rerr := os.ReadFile(path); rerr != nil || !strings.Contains(string(b), "<html") {
		t.Errorf("no porcupine visualization at %q: %v", path, rerr)
	}
}

func TestValidatorsCatchDuplicateWatchEvent(t *testing.T) {
	t.Setenv("GETCD_FAULT_ARTIFACTS", t.TempDir())
	ev := model.WatchEvent{PersistedEvent: model.PersistedEvent{
		Event: model.Event{Type: model.PutOperation, Key: "key0", Value: model.ToValueOrHash("a")}, Revision: 2, IsCreate: true}}
	watchOf := func(events ...model.WatchEvent) report.ClientReport {
		return report.ClientReport{ClientID: 1, Watch: []model.WatchOperation{{
			Request:   model.WatchRequest{Key: "key", Revision: 1, WithPrefix: true},
			Responses: []model.WatchResponse{{Events: events, Revision: 2}},
		}}}
	}
	honest := append(doctoredHistory(false), watchOf(ev))
	if _, err := validateHistory(zap.NewNop(), "honest", honest, persistedPut); err != nil {
		t.Fatalf("honest watch: %v", err)
	}
	doctored := append(doctoredHistory(false), watchOf(ev, ev))
	path, err := validateHistory(zap.NewNop(), "doctored", doctored, persistedPut)
	if err == nil || !strings.Contains(err.Error(), "watch") {
		t.Fatalf("an event delivered twice: %v, want a watch failure", err)
	}
	if b, rerr := os.ReadFile(path); rerr != nil || !strings.Contains(string(b), "<html") {
		t.Errorf("no porcupine visualization of the failing watch's history at %q: %v", path, rerr)
	}
	missing := append(doctoredHistory(false), watchOf())
	missing[1].Watch[0].Responses[0].Revision = 2
	missing[1].Watch[0].Responses = append(missing[1].Watch[0].Responses, model.WatchResponse{IsProgressNotify: true, Revision: 2})
	if _, err := validateHistory(zap.NewNop(), "doctored", missing, persistedPut); err == nil {
		t.Fatal("a watch that skipped revision 2 and said it was done passed")
	}
}

// A read at a past revision (serializable against the replayed WAL, as
// etcd's model takes any answer at a past revision) that returns what the
// key held later.
func TestValidatorsCatchWrongReadAtRevision(t *testing.T) {
	t.Setenv("GETCD_FAULT_ARTIFACTS", t.TempDir())
	history := func(wrong bool) []report.ClientReport {
		h := model.NewAppendableHistory(identity.NewIDProvider())
		ms := time.Millisecond
		h.AppendRange("key0", "", 0, 0, false, 1*ms, 2*ms, get(1), nil)
		h.AppendPut("key0", "a", 3*ms, 4*ms, put(2), nil)
		h.AppendPut("key0", "b", 5*ms, 6*ms, put(3), nil)
		kv := &mvccpb.KeyValue{Key: []byte("key0"), Value: []byte("a"), CreateRevision: 2, ModRevision: 2, Version: 1}
		if wrong {
			kv = &mvccpb.KeyValue{Key: []byte("key0"), Value: []byte("b"), CreateRevision: 2, ModRevision: 3, Version: 2}
		}
		h.AppendRange("key0", "", 2, 0, false, 7*ms, 8*ms, get(3, kv), nil)
		return []report.ClientReport{{ClientID: 0, KeyValue: h.Operations()}}
	}
	persisted := []model.EtcdRequest{persistedPut[0], {Type: model.Txn, Txn: &model.TxnRequest{
		OperationsOnSuccess: []model.EtcdOperation{{Type: model.PutOperation, Put: model.PutOptions{Key: "key0", Value: model.ToValueOrHash("b")}}}}}}
	if _, err := validateHistory(zap.NewNop(), "honest", history(false), persisted); err != nil {
		t.Fatalf("honest read at revision 2: %v", err)
	}
	path, err := validateHistory(zap.NewNop(), "doctored", history(true), persisted)
	if err == nil || !strings.Contains(err.Error(), "serializable") {
		t.Fatalf("a read at revision 2 answering revision 3's value: %v, want a serializable failure", err)
	}
	if _, rerr := os.Stat(path); rerr != nil {
		t.Errorf("no porcupine visualization at %q: %v", path, rerr)
	}
}

func TestAppliedOnce(t *testing.T) {
	if v := checkAppliedOnce(persistedPut); len(v) != 0 {
		t.Fatalf("one put: %v", v)
	}
	if v := checkAppliedOnce(append(persistedPut, persistedPut...)); len(v) != 1 {
		t.Fatalf("a put persisted twice: %v, want one violation", v)
	}
}

func TestRevisionsMonotonic(t *testing.T) {
	if v := checkRevisionsMonotonic(doctoredHistory(false)); len(v) != 0 {
		t.Fatalf("honest: %v", v)
	}
	// The stale read of the doctored history went back from revision 2 to 1.
	if v := checkRevisionsMonotonic(doctoredHistory(true)); len(v) != 1 {
		t.Fatalf("revision going back: %v, want one violation", v)
	}
}

func TestLeaseChecker(t *testing.T) {
	honest := []leaseOutcome{{ID: 1, ServerTTL: 7}, {ID: 2, Lost: true, ServerTTL: -1}}
	if v := checkLeases(honest); len(v) != 0 {
		t.Fatalf("honest: %v", v)
	}
	doctored := []leaseOutcome{{ID: 1, ServerTTL: -1}, {ID: 2, Lost: true, ServerTTL: 3}, {ID: 3, Ended: true, ServerTTL: 5}}
	if v := checkLeases(doctored); len(v) != 3 {
		t.Fatalf("alive but expired, lost but kept, ended early: %v, want three violations", v)
	}
}

// The scenarios' goroutine check counts the client's goroutines and not
// the harness's (stacks as the runtime prints them).
func TestClientGoroutine(t *testing.T) {
	for _, tc := range []struct {
		name, stack string
		client      bool
	}{
		{"gRPC client reader", `goroutine 812 [IO wait]:
internal/poll.runtime_pollWait(0x7fdf34b36800, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
google.golang.org/grpc/internal/transport.(*http2Client).reader(0xc000aa4000, 0xc000b2e0c0)
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_client.go:1690 +0x2a5
created by google.golang.org/grpc/internal/transport.newHTTP2Client in goroutine 790
	/root/go/pkg/mod/google.golang.org/grpc@v1.85.0/internal/transport/http2_client.go:412 +0x1f5b`, true},
		{"getcd watch mux", `goroutine 901 [select]:
github.com/getcd/getcd/watch.(*mux).run(0xc000e1c000)
	/work/getcd/watch/mux.go:120 +0x1b2
created by github.com/getcd/getcd/watch.(*mux).start in goroutine 900
	/work/getcd/watch/mux.go:80 +0x85`, true},
		{"this package's watcher", `goroutine 950 [chan receive]:
github.com/getcd/getcd/integration/faulttest.(*watcher).run(0xc000e1c000)
	/work/getcd/integration/faulttest/record_test.go:300 +0x1b2
created by github.com/getcd/getcd/integration/faulttest.startWatcher in goroutine 900
	/work/getcd/integration/faulttest/record_test.go:290 +0x85`, true},
		{"fault proxy", `goroutine 77 [IO wait]:
internal/poll.runtime_pollWait(0x7fdf34b36800, 0x72)
	/usr/local/go/src/runtime/netpoll.go:351 +0x85
net.(*conn).Read(0xc000010000, {0xc000100000, 0x8000, 0x8000})
	/usr/local/go/src/net/net.go:194 +0x45
github.com/getcd/getcd/integration/etcdtest.(*Proxy).serve(0xc000200000, 0xc000300000)
	/work/getcd/integration/etcdtest/proxy.go:330 +0x1b2
created by github.com/getcd/getcd/integration/etcdtest.(*Proxy).accept in goroutine 76
	/work/getcd/integration/etcdtest/proxy.go:302 +0x85`, false},
		{"Docker client connection", `goroutine 60 [select]:
net/http.(*persistConn).writeLoop(0xc000400000)
	/usr/local/go/src/net/http/transport.go:2600 +0xe5
created by net/http.(*Transport).dialConn in goroutine 59
	/usr/local/go/src/net/http/transport.go:1950 +0x1b45`, false},
	} {
		if got := clientGoroutine(tc.stack); got != tc.client {
			t.Errorf("%s: client %v, want %v", tc.name, got, tc.client)
		}
	}
}
