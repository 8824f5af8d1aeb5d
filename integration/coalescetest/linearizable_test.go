package coalescetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/tests/v3/robustness/identity"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.etcd.io/etcd/tests/v3/robustness/validate"
	"go.uber.org/zap"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/coalescecheck"
	"github.com/getcd/getcd/integration/etcdtest"
)

// The property test: many callers share one coalescing connection to a
// fresh single-member etcd process and issue random puts (each with a value
// no other put has), deletes, gets of one key, of the prefix and of a range,
// gets at an older revision and serializable gets, over a few keys, so that
// batches form and their writes conflict. Some requests opt out
// (WithNoCoalesce) and go alone among the batches. Every call is recorded
// with its call and return time, as etcd's robustness suite records its own
// client, and the history is checked by etcd's validators: porcupine over
// etcd's model, which checks every answer's revision as well as its keys,
// with the writes of each batch merged back into the one transaction they
// were (coalescecheck.Merge, which also holds their revisions to the WAL);
// gets at an older revision against the WAL's replay (etcd's
// serializable-read check).
//
// In the "cancels" variants a fifth of the requests carry a timeout under
// 3 ms, so callers give up while queued and while their batch is in
// flight: a write that ends with an unknown outcome is recorded as such
// (placed in its batch from the WAL when the batch was applied), one told
// it certainly failed is left out (were it applied, the WAL checks and the
// validators would find a write nobody made).
//
// Serializable gets (WithSerializable) are kept out of the linearizable
// check: etcd promises them nothing about recency. They are checked the
// weaker way etcd checks stale reads: each answer must be exactly the store
// as the WAL's replay has it at the answer's own header revision (a
// consistent snapshot, with its revision told right), and no older than the
// newest revision the same caller had seen before the call (one member
// serves the connection, and it never goes back).

const (
	linKeys    = 5   // key0 .. key4: few keys, so batched writes conflict
	linOps     = 100 // requests per caller
	linTimeout = 30 * time.Second
)

func linKey(i int) string { return "key" + strconv.Itoa(i) }

// seed is GETCD_COALESCE_SEED, else a fresh one; tests log it. The requests
// each caller chooses follow from it; how they interleave does not.
func seed(t *testing.T) uint64 {
	if s, err := strconv.ParseUint(os.Getenv("GETCD_COALESCE_SEED"), 10, 64); err == nil {
		return s
	}
	return uint64(time.Now().UnixNano())
}

func TestLinearizable(t *testing.T) {
	bin, err := etcdtest.BuildEtcd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := seed(t)
	t.Logf("seed %d (GETCD_COALESCE_SEED=%d repeats the requests)", s, s)
	for _, v := range []struct {
		name    string
		co      conn.Coalescing
		callers int
		// porcupine: also check with etcd's validators. Their search grows
		// too fast past about 16 callers in flight at once (48 did not end
		// in 3 minutes); the wide runs are checked by coalescecheck.Revisions
		// alone, which agrees with etcd's validators on the narrow ones.
		porcupine bool
		doctors   bool // also show the checkers reject doctored versions
		// cancels: a fifth of the requests carry a timeout under 3 ms, so
		// callers give up while queued and while their batch is in
		// flight; writes that end with an unknown outcome are placed from
		// the WAL. Checked by etcd's validators only (Revisions needs
		// every answer).
		cancels bool
		slow    bool // run only with GETCD_COALESCE_SLOW=1
	}{
		{"defaults", conn.Coalescing{Enabled: true}, 16, true, true, false, false},
		{"in-flight-1", conn.Coalescing{Enabled: true, MaxInFlight: 1}, 16, true, false, false, false},
		{"window-max-ops-6", conn.Coalescing{Enabled: true, MaxInFlight: 3, MaxOps: 6, Window: 200 * time.Microsecond}, 16, true, false, false, false},
		{"wide-48", conn.Coalescing{Enabled: true}, 48, false, false, false, false},
		{"wide-64-window", conn.Coalescing{Enabled: true, MaxInFlight: 4, Window: 100 * time.Microsecond}, 64, false, false, false, false},
		// Writes of unknown outcome may be placed anywhere after their call,
		// which widens etcd's validators' search: with 16 callers it took
		// from 4 s to over 3 minutes (the validators' limit) from run to
		// run; 8 keep it to seconds. 16 run with GETCD_COALESCE_SLOW=1.
		{"cancels", conn.Coalescing{Enabled: true}, 8, true, false, true, false},
		{"cancels-16", conn.Coalescing{Enabled: true}, 16, true, false, true, true},
		{"cancels-window", conn.Coalescing{Enabled: true, Window: time.Millisecond}, 16, true, false, true, true},
	} {
		t.Run(v.name, func(t *testing.T) {
			if v.slow && os.Getenv("GETCD_COALESCE_SLOW") == "" {
				t.Skip("etcd's validators take up to a minute on it: set GETCD_COALESCE_SLOW=1 to run it")
			}
			h := record(t, bin, v.co, s, v.callers, v.cancels)
			t.Logf("%d callers, %d requests (%d failed, %d gave up, of which %d writes of unknown outcome); %s",
				v.callers, h.ops, len(h.errs), h.gaveUp, h.unknown, h.stats)
			if v.cancels && h.gaveUp == 0 {
				t.Errorf("no request gave up")
			}
			for _, e := range h.errs {
				t.Errorf("error with no fault: %v", e)
			}
			// Coalescing happened, or the test proves nothing.
			if v.co.Enabled && (h.stats.Batches == 0 || h.stats.PerBatch() <= 1) {
				t.Fatalf("no batch formed: %s", h.stats)
			}
			merged, ms, violations := coalescecheck.Merge(h.reports, h.persisted, h.ids)
			t.Logf("write batches seen in the history: %d carrying %d writes (at most %d; %d of unknown outcome placed from the WAL)", ms.Batches, ms.Merged, ms.MaxBatch, ms.Unknown)
			if v.co.Enabled && ms.Batches == 0 {
				t.Errorf("no two writes shared a revision: no write batch to check")
			}
			violations = append(violations, coalescecheck.AppliedOnce(h.persisted)...)
			violations = append(violations, checkSerializable(h.serial, h.persisted)...)
			if !v.cancels {
				violations = append(violations, coalescecheck.Revisions(h.reports, h.persisted)...)
			}
			if v.porcupine {
				start := time.Now()
				if err := check(t, v.name, merged, h.persisted); err != nil {
					violations = append(violations, err.Error())
				}
				t.Logf("etcd's validators took %v", time.Since(start).Round(time.Millisecond))
			}
			for _, v := range violations {
				t.Error(v)
			}
			if !v.doctors || t.Failed() {
				return
			}

			// The same history with the batches' writes left as separate
			// requests: etcd's model gives each its own revision, so the
			// shared revisions are caught. Merging is what makes the
			// history pass; it is not a free pass.
			res := validate.ValidateAndReturnVisualize(zap.NewNop(), validate.Config{}, h.reports, h.persisted, time.Minute)
			if res.Linearization.Status != validate.Failure {
				t.Errorf("batched writes recorded as separate requests: linearization %q, want a failure", res.Linearization.Status)
			}
			// A get answered with a revision older than a write that
			// returned before the get was called: rejected by both.
			doctored, what := staleGet(merged)
			if doctored == nil {
				t.Fatal("no get to doctor")
			}
			res = validate.ValidateAndReturnVisualize(zap.NewNop(), validate.Config{}, doctored, h.persisted, time.Minute)
			if res.Linearization.Status != validate.Failure {
				t.Errorf("%s: linearization %q, want a failure", what, res.Linearization.Status)
			}
			if doctored, what = staleGet(h.reports); len(coalescecheck.Revisions(doctored, h.persisted)) == 0 {
				t.Errorf("%s: coalescecheck.Revisions passed it", what)
			}
			// A serializable get told at a revision where the store held
			// other keys for its range: rejected.
			if bad, ok := staleSerializable(h.serial, h.persisted); !ok {
				t.Errorf("no serializable get to doctor")
			} else if v := checkSerializable([]serialRead{bad}, h.persisted); len(v) == 0 {
				t.Errorf("serializable get with the keys of a later revision told at %d passed", bad.rev)
			}
		})
	}
}

// history is one recorded run.
type history struct {
	ids       identity.Provider
	reports   []report.ClientReport
	serial    []serialRead
	persisted []model.EtcdRequest
	stats     conn.CoalesceStats
	ops       int
	errs      []error
	gaveUp    int
	unknown   int
}

// serialRead is one serializable get: op is recorded as a read at the
// revision its answer carries; prior is the newest revision its caller had
// seen before the call.
type serialRead struct {
	op    porcupine.Operation
	rev   int64
	prior int64
}

// record runs the callers on a fresh server and returns their history and
// what the server persisted.
func record(t *testing.T, bin string, co conn.Coalescing, seed uint64, n int, cancels bool) *history {
	cl := etcdtest.StartCluster(t, bin, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := conn.New(ctx, conn.Config{Endpoints: []string{cl.Members[0].DirectEndpoint()}, Coalescing: co})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	h := &history{ids: identity.NewIDProvider()}
	base := time.Now()
	callers := make([]*caller, n)
	for i := range callers {
		callers[i] = newCaller(c, base, h.ids, seed, i)
	}
	// The empty store, read first: etcd's validators need it.
	callers[0].get(kv.New().WithKey(linKey(0)), linKey(0), "", 0, 0)
	for _, k := range callers {
		k.cancels = cancels // after the first read, which must not give up
	}

	var wg sync.WaitGroup
	begin := make(chan struct{})
	for _, k := range callers {
		wg.Go(func() {
			<-begin
			for range linOps {
				k.step()
			}
		})
	}
	close(begin)
	wg.Wait()
	h.stats = c.CoalesceStats()
	for _, k := range callers {
		h.reports = append(h.reports, report.ClientReport{ClientID: k.id, KeyValue: k.h.Operations()})
		h.serial = append(h.serial, k.serial...)
		h.ops += k.ops
		h.errs = append(h.errs, k.errs...)
		h.gaveUp += k.gaveUp
		h.unknown += k.unknown
	}
	c.Close()
	cl.Close()
	h.persisted, err = report.PersistedRequests(zap.NewNop(), []string{cl.Members[0].DataDir()})
	if err != nil {
		t.Fatalf("read the WAL: %v", err)
	}
	if len(h.persisted) == 0 {
		t.Fatal("nothing read back from the WAL")
	}
	return h
}

// caller is one goroutine: one request in flight at a time.
type caller struct {
	c       *conn.Conn
	base    time.Time
	id      int
	h       *model.AppendableHistory
	scratch *model.AppendableHistory // builds the serializable reads' records
	rng     *rand.Rand
	n       int
	lastRev int64
	serial  []serialRead
	ops     int
	errs    []error

	cancels         bool // give some requests a timeout they may not meet
	short           bool // the current request has such a timeout
	gaveUp, unknown int  // requests that hit their short timeout; writes among them of unknown outcome
}

func newCaller(c *conn.Conn, base time.Time, ids identity.Provider, seed uint64, i int) *caller {
	return &caller{c: c, base: base, id: ids.NewClientID(), h: model.NewAppendableHistory(ids),
		scratch: model.NewAppendableHistory(ids), rng: rand.New(rand.NewPCG(seed, uint64(i)))}
}

func (k *caller) since() time.Duration { return time.Since(k.base) }

func (k *caller) ctx() (context.Context, context.CancelFunc) {
	k.short = k.cancels && k.rng.IntN(5) == 0
	if k.short {
		// Under 3 ms: the caller gives up while queued, in a batch in
		// flight, or not at all.
		return context.WithTimeout(context.Background(), time.Duration(k.rng.IntN(3000))*time.Microsecond)
	}
	return context.WithTimeout(context.Background(), linTimeout)
}

// outcome sorts a call's error: a short timeout's is expected, any other
// a failure of the test. It returns false for a write certainly not
// applied, which stays out of the history (were it applied after all, its
// value would show in reads and in the WAL with no write to explain it).
func (k *caller) outcome(err error, write bool) (record bool) {
	if err == nil {
		return true
	}
	// etcd answers a proposal whose deadline (sent along with the
	// request) passes with "request timed out", which may arrive before
	// the caller's own deadline fires.
	if k.short && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, conn.ErrTimeout)) && !errors.Is(err, conn.ErrUnknown) {
		k.gaveUp++
	} else {
		k.failed(err)
	}
	if !write {
		return true
	}
	if errors.Is(err, conn.ErrUnknownOutcome) {
		k.unknown++
		return true
	}
	return false
}

func (k *caller) failed(err error) {
	k.errs = append(k.errs, fmt.Errorf("caller %d: %w", k.id, err))
}

func (k *caller) step() {
	k.ops++
	k.n++
	key := linKey(k.rng.IntN(linKeys))
	switch p := k.rng.IntN(100); {
	case p < 28:
		k.put(kv.New(), key)
	case p < 36:
		k.del(kv.New(), key)
	case p < 52:
		k.get(kv.New().WithKey(key), key, "", 0, 0)
	case p < 58:
		k.get(kv.New().WithKey("key").WithPrefix(), "key", clientv3.GetPrefixRangeEnd("key"), 0, 0)
	case p < 62:
		k.get(kv.New().WithKey("key").WithPrefix().WithLimit(2), "key", clientv3.GetPrefixRangeEnd("key"), 0, 2)
	case p < 68:
		a := k.rng.IntN(linKeys)
		b := a + 1 + k.rng.IntN(linKeys-a)
		k.get(kv.New().WithKey(linKey(a)).WithRangeEnd(linKey(b)), linKey(a), linKey(b), 0, 0)
	case p < 74:
		rev := max(1, k.lastRev-int64(k.rng.IntN(4)))
		k.get(kv.New().WithKey(key).WithRev(rev), key, "", rev, 0)
	case p < 80:
		k.serializable(kv.New().WithKey(key), key, "")
	case p < 84:
		k.serializable(kv.New().WithKey("key").WithPrefix(), "key", clientv3.GetPrefixRangeEnd("key"))
	case p < 90:
		k.put(kv.New().WithNoCoalesce(), key)
	case p < 93:
		k.del(kv.New().WithNoCoalesce(), key)
	default:
		k.get(kv.New().WithKey(key).WithNoCoalesce(), key, "", 0, 0)
	}
}

func (k *caller) seen(h conn.Header) { k.lastRev = max(k.lastRev, h.Revision) }

func (k *caller) put(r kv.Request, key string) {
	value := fmt.Sprintf("%d.%d", k.id, k.n)
	ctx, cancel := k.ctx()
	defer cancel()
	start := k.since()
	res, err := k.c.Put(ctx, r.WithKey(key).WithValue(value))
	end := k.since()
	var resp *clientv3.PutResponse
	if !k.outcome(err, true) {
		return
	}
	if err == nil {
		k.seen(res.Header)
		resp = (*clientv3.PutResponse)(&pb.PutResponse{Header: hdr(res.Header)})
	}
	k.h.AppendPut(key, value, start, end, resp, err)
}

func (k *caller) del(r kv.Request, key string) {
	ctx, cancel := k.ctx()
	defer cancel()
	start := k.since()
	res, err := k.c.Delete(ctx, r.WithKey(key))
	end := k.since()
	var resp *clientv3.DeleteResponse
	if !k.outcome(err, true) {
		return
	}
	if err == nil {
		k.seen(res.Header)
		resp = (*clientv3.DeleteResponse)(&pb.DeleteRangeResponse{Header: hdr(res.Header), Deleted: res.Deleted})
	}
	k.h.AppendDelete(key, start, end, resp, err)
}

func (k *caller) get(r kv.Request, from, to string, rev, limit int64) {
	ctx, cancel := k.ctx()
	defer cancel()
	start := k.since()
	res, err := k.c.Get(ctx, r)
	end := k.since()
	k.outcome(err, false)
	if err == nil {
		k.seen(res.Header)
	}
	k.h.AppendRange(from, to, rev, limit, false, start, end, rangeResp(res), err)
}

func (k *caller) serializable(r kv.Request, from, to string) {
	ctx, cancel := k.ctx()
	defer cancel()
	prior := k.lastRev
	start := k.since()
	res, err := k.c.Get(ctx, r.WithSerializable())
	end := k.since()
	if err != nil {
		k.outcome(err, false)
		return
	}
	k.seen(res.Header)
	n := len(k.scratch.Operations())
	k.scratch.AppendRange(from, to, res.Header.Revision, 0, false, start, end, rangeResp(res), nil)
	k.serial = append(k.serial, serialRead{op: k.scratch.Operations()[n], rev: res.Header.Revision, prior: prior})
}

// hdr, kvs and rangeResp turn getcd's answers into etcd's messages, which
// model.AppendableHistory records.
func hdr(h conn.Header) *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: h.ClusterID, MemberId: h.MemberID, Revision: h.Revision, RaftTerm: h.RaftTerm}
}

func rangeResp(r *conn.GetResponse) *clientv3.GetResponse {
	if r == nil {
		return nil
	}
	out := make([]*mvccpb.KeyValue, len(r.KVs))
	for i, x := range r.KVs {
		out[i] = &mvccpb.KeyValue{Key: x.Key, Value: x.Value, CreateRevision: x.CreateRevision,
			ModRevision: x.ModRevision, Version: x.Version, Lease: x.Lease}
	}
	return (*clientv3.GetResponse)(&pb.RangeResponse{Header: hdr(r.Header), Kvs: out, More: r.More, Count: r.Count})
}

// check runs etcd's validators; a history porcupine finds not linearizable
// is written as its HTML visualization, named in the error.
func check(t *testing.T, name string, reports []report.ClientReport, persisted []model.EtcdRequest) error {
	res := validate.ValidateAndReturnVisualize(zap.NewNop(), validate.Config{}, reports, persisted, 3*time.Minute)
	err := res.Error()
	if err == nil {
		if res.Linearization.Status != validate.Success {
			return fmt.Errorf("linearization %q", res.Linearization.Status)
		}
		return nil
	}
	if res.Linearization.Status == validate.Failure {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("getcd-coalesce-%s-%d.html", name, time.Now().UnixNano()))
		if verr := porcupine.VisualizePath(res.Linearization.Model, res.Linearization.Info, path); verr == nil {
			return fmt.Errorf("etcd's validators: %w (history: %s)", err, path)
		}
	}
	return fmt.Errorf("etcd's validators: %w", err)
}

// checkSerializable holds each serializable get to the store the WAL's
// replay has at the revision the answer carries, and to the revisions its
// caller had seen.
func checkSerializable(reads []serialRead, persisted []model.EtcdRequest) []string {
	replay := model.NewReplay(persisted)
	var out []string
	for _, r := range reads {
		if r.rev < r.prior {
			out = append(out, fmt.Sprintf("serializable get answered at revision %d after its caller saw %d", r.rev, r.prior))
			continue
		}
		state, err := replay.StateForRevision(r.rev)
		if err != nil {
			out = append(out, fmt.Sprintf("serializable get at revision %d: %v", r.rev, err))
			continue
		}
		_, want := state.Step(r.op.Input.(model.EtcdRequest))
		got := r.op.Output.(model.MaybeEtcdResponse)
		if !reflect.DeepEqual(got.Range, want.Range) {
			out = append(out, fmt.Sprintf("serializable get at revision %d: got %+v, the store had %+v", r.rev, got.Range, want.Range))
		}
	}
	return out
}

// staleGet returns a copy of reports in which one get is answered with a
// revision older than that of a write which returned before the get was
// called; nil if the history has no such get.
func staleGet(reports []report.ClientReport) ([]report.ClientReport, string) {
	// The latest write return before each point: the writes, by return.
	type w struct {
		ret, rev int64
	}
	var ws []w
	for _, r := range reports {
		for _, op := range r.KeyValue {
			req, resp := op.Input.(model.EtcdRequest), op.Output.(model.MaybeEtcdResponse)
			if req.Type == model.Txn && resp.Error == "" && resp.Revision > 1 {
				ws = append(ws, w{op.Return, resp.Revision})
			}
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].ret < ws[j].ret })
	for ri, r := range reports {
		for i, op := range r.KeyValue {
			req, resp := op.Input.(model.EtcdRequest), op.Output.(model.MaybeEtcdResponse)
			if req.Type != model.Range || req.Range.Revision != 0 || resp.Error != "" {
				continue
			}
			var before int64 // the highest revision written before the call
			for _, x := range ws {
				if x.ret >= op.Call {
					break
				}
				before = max(before, x.rev)
			}
			if before < 2 {
				continue
			}
			out := append([]report.ClientReport(nil), reports...)
			out[ri].KeyValue = append([]porcupine.Operation(nil), r.KeyValue...)
			resp.Revision = before - 1
			out[ri].KeyValue[i].Output = resp
			return out, fmt.Sprintf("a get answered at revision %d after a write at %d returned", before-1, before)
		}
	}
	return nil, ""
}

// staleSerializable returns one of reads told at an earlier revision at
// which the store held other keys for its range.
func staleSerializable(reads []serialRead, persisted []model.EtcdRequest) (serialRead, bool) {
	replay := model.NewReplay(persisted)
	for _, r := range reads {
		req := r.op.Input.(model.EtcdRequest)
		rr := *req.Range
		got := r.op.Output.(model.MaybeEtcdResponse)
		for rev := r.rev - 1; rev >= 1; rev-- {
			state, err := replay.StateForRevision(rev)
			if err != nil {
				break
			}
			rr.Revision = rev
			_, there := state.Step(model.EtcdRequest{Type: model.Range, Range: &rr})
			if !reflect.DeepEqual(there.Range, got.Range) {
				op := r.op
				op.Input = model.EtcdRequest{Type: model.Range, Range: &rr}
				return serialRead{op: op, rev: rev}, true
			}
		}
	}
	return serialRead{}, false
}
