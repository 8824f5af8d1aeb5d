package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/tests/v3/robustness/identity"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
	"github.com/getcd/getcd/watch"
)

// The recorder runs getcd's calls the way etcd's robustness suite runs its
// own client's (tests/robustness/client and traffic): each logical client
// has one request in flight, every write carries a value no other write
// has, and each call is recorded with its call and return time from one
// monotonic base. getcd's results are turned back into etcd's response
// messages (clientv3's response types are etcd's messages) so that etcd's
// model.AppendableHistory records them, and its validators check them.

// keyCount keys, key0 .. key9, as etcd's traffic uses.
const keyCount = 10

func keyName(i int) string { return fmt.Sprintf("key%d", i) }

// recorder is one run's record: the base time and the clients' reports.
type recorder struct {
	base time.Time
	ids  identity.Provider

	// longest is the longest time any call took, or a watch went without
	// a response while the run was under a fault; the fail-over wait.
	longest atomic.Int64

	// Counts a test can take at any time, around a fault: reads made and
	// failed, writes acknowledged.
	reads, readsFailed, writesAcked atomic.Int64
}

func newRecorder() *recorder {
	return &recorder{base: time.Now(), ids: identity.NewIDProvider()}
}

func (r *recorder) since() time.Duration { return time.Since(r.base) }

func (r *recorder) wait(d time.Duration) {
	for {
		cur := r.longest.Load()
		if int64(d) <= cur || r.longest.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// kvClient is one logical client doing key-value traffic on its own
// connection.
type kvClient struct {
	id  int
	c   *conn.Conn
	rec *recorder
	h   *model.AppendableHistory
	rng *rand.Rand

	n       int
	lastRev int64
	modRev  map[string]int64 // the last mod revision this client saw per key

	ops, failed, unknown int
	untyped              []error
}

func newKVClient(rec *recorder, c *conn.Conn) *kvClient {
	id := rec.ids.NewClientID()
	return &kvClient{id: id, c: c, rec: rec, h: model.NewAppendableHistory(rec.ids),
		rng: rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano()))), modRev: map[string]int64{}}
}

func (k *kvClient) report() report.ClientReport {
	return report.ClientReport{ClientID: k.id, KeyValue: k.h.Operations()}
}

// hdr, kvs and the response builders turn getcd's results back into etcd's
// messages.
func hdr(h conn.Header) *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: h.ClusterID, MemberId: h.MemberID, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

func kvs(in []conn.KeyValue) []*mvccpb.KeyValue {
	out := make([]*mvccpb.KeyValue, len(in))
	for i, x := range in {
		out[i] = &mvccpb.KeyValue{Key: x.Key, Value: x.Value, CreateRevision: x.CreateRevision,
			ModRevision: x.ModRevision, Version: x.Version, Lease: x.Lease}
	}
	return out
}

func rangeResp(r *conn.GetResponse) *clientv3.GetResponse {
	if r == nil {
		return nil
	}
	return (*clientv3.GetResponse)(&pb.RangeResponse{Header: hdr(r.Header), Kvs: kvs(r.KVs), More: r.More, Count: r.Count})
}

// classify decides how a failed call enters the history. A failed read is
// recorded (the validators leave it out). A write known not to be applied
// is left out: were it applied after all, its unique value would show up in
// a read or in the WAL with no write to explain it, and the checkers would
// fail. A write of unknown outcome is recorded as failed, which the
// validators treat as possibly applied at any time after its call.
func (k *kvClient) classify(write bool, err error) (record bool) {
	k.failed++
	if errors.Is(err, conn.ErrUnknown) {
		k.untyped = append(k.untyped, err)
	}
	if !write {
		k.rec.readsFailed.Add(1)
		return true
	}
	if errors.Is(err, conn.ErrUnknownOutcome) {
		k.unknown++
		return true
	}
	return false
}

func (k *kvClient) seen(h conn.Header) {
	k.lastRev = max(k.lastRev, h.Revision)
}

// step runs one random request, as etcd's EtcdPutDeleteLease traffic mixes
// them (leases are exercised by the lease keepers instead).
func (k *kvClient) step(timeout time.Duration) {
	k.ops++
	k.n++
	key := keyName(k.rng.IntN(keyCount))
	value := fmt.Sprintf("%d-%d", k.id, k.n)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := k.rec.since()
	defer func() { k.rec.wait(k.rec.since() - start) }()
	switch p := k.rng.IntN(100); {
	case p < 25: // linearizable get
		k.rec.reads.Add(1)
		r, err := k.c.Get(ctx, kv.New().WithKey(key))
		end := k.rec.since()
		if err != nil && !k.classify(false, err) {
			return
		}
		if err == nil {
			k.seen(r.Header)
			if len(r.KVs) == 1 {
				k.modRev[key] = r.KVs[0].ModRevision
			} else {
				k.modRev[key] = 0
			}
		}
		k.h.AppendRange(key, "", 0, 0, false, start, end, rangeResp(r), err)
	case p < 35: // get at a revision this client saw
		k.rec.reads.Add(1)
		rev := k.lastRev
		if rev == 0 {
			rev = 1
		}
		rev = max(1, rev-int64(k.rng.IntN(5)))
		r, err := k.c.Get(ctx, kv.New().WithKey(key).WithRev(rev))
		end := k.rec.since()
		if err != nil && !k.classify(false, err) {
			return
		}
		k.h.AppendRange(key, "", rev, 0, false, start, end, rangeResp(r), err)
	case p < 45: // list every key
		k.rec.reads.Add(1)
		r, err := k.c.Get(ctx, kv.New().WithKey("key").WithPrefix())
		end := k.rec.since()
		if err != nil && !k.classify(false, err) {
			return
		}
		if err == nil {
			k.seen(r.Header)
		}
		k.h.AppendRange("key", clientv3.GetPrefixRangeEnd("key"), 0, 0, false, start, end, rangeResp(r), err)
	case p < 75: // put
		r, err := k.c.Put(ctx, kv.New().WithKey(key).WithValue(value))
		end := k.rec.since()
		if err != nil && !k.classify(true, err) {
			return
		}
		var resp *clientv3.PutResponse
		if err == nil {
			k.seen(r.Header)
			k.rec.writesAcked.Add(1)
			resp = (*clientv3.PutResponse)(&pb.PutResponse{Header: hdr(r.Header)})
		}
		k.h.AppendPut(key, value, start, end, resp, err)
	case p < 82: // delete
		r, err := k.c.Delete(ctx, kv.New().WithKey(key))
		end := k.rec.since()
		if err != nil && !k.classify(true, err) {
			return
		}
		var resp *clientv3.DeleteResponse
		if err == nil {
			k.seen(r.Header)
			k.rec.writesAcked.Add(1)
			resp = (*clientv3.DeleteResponse)(&pb.DeleteRangeResponse{Header: hdr(r.Header), Deleted: r.Deleted})
		}
		k.h.AppendDelete(key, start, end, resp, err)
	default: // compare-and-set on the mod revision this client last saw
		rev := k.modRev[key]
		t := op.If(compare.Key(key).ModRevision(compare.Equal, rev)).
			Then(op.Put(kv.New().WithKey(key).WithValue(value)))
		r, err := k.c.Txn(ctx, t)
		end := k.rec.since()
		if err != nil && !k.classify(true, err) {
			return
		}
		var resp *clientv3.TxnResponse
		if err == nil {
			k.seen(r.Header)
			k.rec.writesAcked.Add(1)
			m := &pb.TxnResponse{Header: hdr(r.Header), Succeeded: r.Succeeded}
			for _, or := range r.Responses {
				if or.Put != nil {
					m.Responses = append(m.Responses, &pb.ResponseOp{Response: &pb.ResponseOp_ResponsePut{
						ResponsePut: &pb.PutResponse{Header: hdr(or.Put.Header)}}})
				}
			}
			resp = (*clientv3.TxnResponse)(m)
		}
		k.h.AppendTxn([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", rev)},
			[]clientv3.Op{clientv3.OpPut(key, value)}, nil, start, end, resp, err)
	}
}

// firstGet records a read of the empty store, which etcd's validators need
// to see (validateEmptyDatabaseAtStart).
func (k *kvClient) firstGet() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := k.rec.since()
	r, err := k.c.Get(ctx, kv.New().WithKey(keyName(0)))
	if err != nil {
		return err
	}
	k.h.AppendRange(keyName(0), "", 0, 0, false, start, k.rec.since(), rangeResp(r), nil)
	return nil
}

// finalPut is the run's last write, which must succeed once the cluster
// recovered; it returns the revision it made.
func (k *kvClient) finalPut() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := k.rec.since()
	r, err := k.c.Put(ctx, kv.New().WithKey(keyName(0)).WithValue("tombstone"))
	if err != nil {
		return 0, err
	}
	k.h.AppendPut(keyName(0), "tombstone", start, k.rec.since(),
		(*clientv3.PutResponse)(&pb.PutResponse{Header: hdr(r.Header)}), nil)
	return r.Header.Revision, nil
}

// watcher records one getcd watch of every key from revision 1, with
// prev_kv, as model.WatchOperation.
type watcher struct {
	id     int
	rec    *recorder
	w      *watch.Watcher
	op     model.WatchOperation
	last   atomic.Int64  // the last revision delivered
	member atomic.Uint64 // the member that sent the last response
	err    error         // why the watch ended early, if it did
	cancel context.CancelFunc
	done   chan struct{}
}

func startWatcher(rec *recorder, c *conn.Conn) (*watcher, error) {
	// The watch lives as long as the context given to Open.
	ctx, cancel := context.WithCancel(context.Background())
	w, err := watch.Open(ctx, c, watch.Prefix("key").WithStartRevision(1).WithPrevKV())
	if err != nil {
		cancel()
		return nil, err
	}
	x := &watcher{id: rec.ids.NewClientID(), rec: rec, w: w, cancel: cancel, done: make(chan struct{}),
		op: model.WatchOperation{Request: model.WatchRequest{Key: "key", Revision: 1, WithPrefix: true, WithPrevKV: true}}}
	go x.run()
	return x, nil
}

func (x *watcher) run() {
	defer close(x.done)
	prev := x.rec.since()
	for {
		r, err := x.w.Next(context.Background())
		now := x.rec.since()
		if err != nil {
			if !errors.Is(err, watch.ErrClosed) {
				x.err = err
			}
			return
		}
		x.rec.wait(now - prev)
		prev = now
		x.member.Store(r.Header.MemberID)
		resp := model.WatchResponse{Revision: r.Header.Revision, IsProgressNotify: r.Progress, Time: now}
		for _, ev := range r.Events {
			resp.Events = append(resp.Events, watchEvent(ev))
		}
		x.op.Responses = append(x.op.Responses, resp)
		if rev := r.Revision(); rev > x.last.Load() {
			x.last.Store(rev)
		}
	}
}

func watchEvent(ev watch.Event) model.WatchEvent {
	e := model.WatchEvent{PersistedEvent: model.PersistedEvent{
		Event:    model.Event{Key: string(ev.KV.Key)},
		Revision: ev.KV.ModRevision,
		IsCreate: ev.IsCreate(),
	}}
	if ev.Type == watch.Put {
		e.Type = model.PutOperation
		e.Value = model.ToValueOrHash(string(ev.KV.Value))
	} else {
		e.Type = model.DeleteOperation
	}
	if ev.PrevKV != nil {
		e.PrevValue = &model.ValueRevision{Value: model.ToValueOrHash(string(ev.PrevKV.Value)),
			ModRevision: ev.PrevKV.ModRevision, Version: ev.PrevKV.Version}
	}
	return e
}

// stopAt waits until the watch delivered revision rev or the deadline
// passed, then closes it; false if it never got there.
func (x *watcher) stopAt(rev int64, deadline time.Duration) bool {
	defer x.cancel()
	t := time.NewTimer(deadline)
	defer t.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for x.last.Load() < rev {
		select {
		case <-x.done:
			return x.last.Load() >= rev
		case <-t.C:
			x.w.Close()
			<-x.done
			return x.last.Load() >= rev
		case <-tick.C:
		}
	}
	x.w.Close()
	<-x.done
	return true
}

func (x *watcher) report() report.ClientReport {
	return report.ClientReport{ClientID: x.id, Watch: []model.WatchOperation{x.op}}
}
