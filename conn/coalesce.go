package conn

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/internal/codec"
	"github.com/getcd/getcd/internal/wire"
	"github.com/getcd/getcd/op"
)

// Defaults for the zero values of Coalescing.
const (
	// DefaultCoalesceMaxOps is etcd's --max-txn-ops default.
	DefaultCoalesceMaxOps = 128
	// DefaultCoalesceMaxBytes keeps a batch well under etcd's
	// --max-request-bytes default of 1.5 MiB.
	DefaultCoalesceMaxBytes = 1 << 20
	// DefaultCoalesceMaxInFlight is how many batches of one kind may be in
	// flight at once.
	DefaultCoalesceMaxInFlight = 2
)

// Coalescing configures the merging of concurrent key-value requests into
// one transaction (see "Coalescing" in the package documentation). The zero
// value is off.
type Coalescing struct {
	// Enabled turns coalescing on for Get, Put and Delete. It needs getcd's
	// codec: with GeneratedMessages (or GETCD_CODEC=generated) it is off.
	Enabled bool

	// MaxOps is the most requests one batch carries: at most the
	// server's --max-txn-ops. Default 128, etcd's default. A batch the
	// server refuses as holding too many operations is resent call by call,
	// and later batches hold at most half as many.
	MaxOps int

	// MaxBytes bounds the encoded size of one batch; it must stay under
	// the server's --max-request-bytes. Default 1 MiB (etcd's limit is
	// 1.5 MiB by default), and never above MaxCallSendMsgSize. A request
	// larger than this on its own is sent alone. A batch the server refuses
	// as too large is resent call by call, and later batches stay under
	// half its size.
	MaxBytes int

	// MaxInFlight is how many batches (or requests sent alone) of one kind
	// — writes, linearizable reads, serializable reads — may be in flight
	// at once; requests that arrive while that many are in flight wait for
	// one of them to end and go in the next batch. Default 2.
	MaxInFlight int

	// Window, when above zero, makes a request that finds nothing to wait
	// for wait this long for others to join it, or until MaxOps requests
	// or MaxBytes wait; requests that wait when a batch ends leave at once.
	// Zero, the default, never delays a request: batches form only from
	// requests that arrive while earlier ones are in flight, so a lone
	// caller pays nothing.
	Window time.Duration
}

// CoalesceStats counts what a connection's coalescing did since it opened.
type CoalesceStats struct {
	Enabled  bool
	Batches  uint64        // transactions sent carrying two requests or more
	Batched  uint64        // requests carried in those transactions
	Alone    uint64        // requests that found nothing to merge with and went alone
	Resent   uint64        // requests sent again alone after their batch was refused or never sent (a request whose context had ended by then is not counted)
	MaxBatch uint64        // the most requests one batch carried
	Queued   int           // requests waiting to be batched now
	MaxOps   int           // the most requests a batch takes now: Coalescing.MaxOps, or less once the server refused more
	MaxBytes int           // the most bytes a batch takes now: Coalescing.MaxBytes, or less once the server refused more
	Waited   time.Duration // total time requests waited to be batched
}

// PerBatch is the mean number of requests per batch.
func (s CoalesceStats) PerBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Batched) / float64(s.Batches)
}

// String prints the counts on one line.
func (s CoalesceStats) String() string {
	if !s.Enabled {
		return "coalescing off"
	}
	return "batches " + strconv.FormatUint(s.Batches, 10) + " carrying " + strconv.FormatUint(s.Batched, 10) +
		" requests (" + strconv.FormatFloat(s.PerBatch(), 'f', 1, 64) + " per batch, at most " + strconv.FormatUint(s.MaxBatch, 10) +
		"), alone " + strconv.FormatUint(s.Alone, 10) + ", resent " + strconv.FormatUint(s.Resent, 10) +
		", waited " + s.Waited.String()
}

// CoalesceStats returns the counts of the connection's coalescing; Enabled
// is false when it does not coalesce.
func (c *Conn) CoalesceStats() CoalesceStats {
	if c == nil || c.co == nil {
		return CoalesceStats{}
	}
	co := c.co
	queued := 0
	for i := range co.kinds {
		q := &co.kinds[i]
		q.mu.Lock()
		queued += len(q.queue)
		q.mu.Unlock()
	}
	return CoalesceStats{Enabled: true, Queued: queued, MaxOps: int(co.maxOps.Load()), MaxBytes: int(co.maxBytes.Load()), Batches: co.batches.Load(), Batched: co.batched.Load(), Alone: co.alone.Load(),
		Resent: co.resent.Load(), MaxBatch: co.maxBatch.Load(), Waited: time.Duration(co.waited.Load())}
}

// validate checks the settings; field is the Config field's name.
func (s Coalescing) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxOps", s.MaxOps}, {"MaxBytes", s.MaxBytes}, {"MaxInFlight", s.MaxInFlight}} {
		if f.v < 0 {
			return &ConfigError{Field: "Coalescing." + f.name, Reason: "must not be negative, got " + strconv.Itoa(f.v)}
		}
	}
	if s.Window < 0 {
		return &ConfigError{Field: "Coalescing.Window", Reason: "must not be negative, got " + s.Window.String()}
	}
	return nil
}

func (s Coalescing) withDefaults(maxSend int) Coalescing {
	if s.MaxOps == 0 {
		s.MaxOps = DefaultCoalesceMaxOps
	}
	if s.MaxBytes == 0 {
		s.MaxBytes = DefaultCoalesceMaxBytes
	}
	s.MaxBytes = min(s.MaxBytes, maxSend)
	if s.MaxInFlight == 0 {
		s.MaxInFlight = DefaultCoalesceMaxInFlight
	}
	return s
}

// The kinds of batch: requests of different kinds never share one.
const (
	batchWrites       = iota // puts and deletes
	batchLinearizable        // linearizable ranges
	batchSerializable        // serializable ranges
	batchKinds
)

// coalescer merges a connection's concurrent requests into transactions.
type coalescer struct {
	c     *Conn
	cfg   Coalescing
	kinds [batchKinds]batchQueue

	batches, batched, alone, resent, maxBatch, waited atomic.Uint64

	// The limits batches are cut to: MaxOps and MaxBytes, lowered when the
	// server refuses a batch as too many operations or too large (its
	// --max-txn-ops or --max-request-bytes is below them).
	maxOps, maxBytes atomic.Int64

	// maxPrevs is how many writes asking for their previous key-values
	// one batch may carry, so that the batch's answer fits
	// MaxCallRecvMsgSize: an answer lost to the client's own limit would
	// leave applied writes with an unknown outcome.
	maxPrevs int
}

// batchQueue holds the requests of one kind that wait to be sent.
type batchQueue struct {
	mu       sync.Mutex
	queue    []*pending
	bytes    int  // the encoded size of the queued requests
	inflight int  // batches and lone requests of this kind in flight
	timer    bool // a Window timer is set
}

// What a pending request is told when its wait ends.
const (
	goAlone  = iota + 1 // send yourself, alone, and release the slot
	goResend            // your batch failed: send yourself alone, no slot held
	goDone              // the result is in
	goClosed            // the connection closed before it was sent
)

// pending is one request waiting in, or carried by, a batch.
type pending struct {
	ctx    context.Context
	op     wire.OpFields // the request as a transaction operation; Size is its encoded size
	opSize int           // encoded size of the RequestOp in a transaction
	since  time.Time     // when it was queued
	wake   chan int      // one of goAlone, goResend, goDone
	batch  *batch        // the batch carrying it, once sent
	resp   OpResponse
	err    error
}

// batch is the requests of one transaction in flight.
type batch struct {
	members []*pending
	size    int // encoded size of the members' operations
	ctx     context.Context
	cancel  context.CancelFunc
	live    atomic.Int32 // members still waiting for the answer
}

func newCoalescer(c *Conn, cfg Coalescing) *coalescer {
	co := &coalescer{c: c, cfg: cfg, maxPrevs: max(c.cfg.MaxCallRecvMsgSize/maxPrevAnswer, 1)}
	co.maxOps.Store(int64(cfg.MaxOps))
	co.maxBytes.Store(int64(cfg.MaxBytes))
	return co
}

// learn lowers the batch limits after the server refused batch b for its
// number of operations or its size: the next batches stay under half of
// b, down to one request per batch.
func (co *coalescer) learn(b *batch, err error) {
	lower := func(limit *atomic.Int64, to int64, what string) {
		for cur := limit.Load(); to < cur; cur = limit.Load() {
			if limit.CompareAndSwap(cur, to) {
				co.c.cfg.Logger.Warn("getcd: coalesced batches lowered: the server refused one as too large",
					"limit", what, "from", cur, "to", to, "error", err)
				return
			}
		}
	}
	switch {
	case errors.Is(err, ErrTooManyOps):
		lower(&co.maxOps, max(int64(len(b.members)/2), 1), "operations")
	case errors.Is(err, ErrRequestTooLarge):
		lower(&co.maxBytes, max(int64(b.size/2), 1), "bytes")
	}
}

// kindOf returns the batch kind of an operation.
func kindOf(o *wire.OpFields) int {
	switch {
	case o.Kind != wire.OpRange:
		return batchWrites
	case o.Range.Serializable:
		return batchSerializable
	}
	return batchLinearizable
}

// methodOf is the RPC that sends an operation alone.
func methodOf(k wire.OpKind) string {
	switch k {
	case wire.OpPut:
		return MethodPut
	case wire.OpDelete:
		return MethodDeleteRange
	}
	return MethodRange
}

// do runs one request through the coalescer: alone at once when nothing of
// its kind is in flight, otherwise in the next batch. ctx carries the
// request's own timeout.
func (co *coalescer) do(ctx context.Context, o wire.OpFields) (OpResponse, error) {
	q := &co.kinds[kindOf(&o)]
	q.mu.Lock()
	if co.cfg.Window == 0 && q.inflight < co.cfg.MaxInFlight && len(q.queue) == 0 {
		q.inflight++
		q.mu.Unlock()
		co.alone.Add(1)
		resp, err := co.c.sendAlone(ctx, &o)
		co.release(q)
		return resp, err
	}
	if co.c.closed.Load() {
		q.mu.Unlock()
		return OpResponse{}, co.c.closedError(methodOf(o.Kind), "", false, o.Kind != wire.OpRange, "")
	}
	if err := ctx.Err(); err != nil {
		q.mu.Unlock()
		return OpResponse{}, unbatched(o.Kind, err)
	}
	p := &pending{ctx: ctx, op: o, since: time.Now(), wake: make(chan int, 1)}
	p.opSize = codec.OpSize(&p.op)
	q.queue = append(q.queue, p)
	q.bytes += p.opSize
	switch {
	case len(q.queue) >= int(co.maxOps.Load()) || q.bytes >= int(co.maxBytes.Load()) || co.cfg.Window == 0:
		co.dispatchLocked(q)
	case !q.timer:
		q.timer = true
		time.AfterFunc(co.cfg.Window, func() {
			q.mu.Lock()
			q.timer = false
			co.dispatchLocked(q)
			q.mu.Unlock()
		})
	}
	q.mu.Unlock()
	return co.wait(q, p)
}

// wait waits for p's turn or result.
func (co *coalescer) wait(q *batchQueue, p *pending) (OpResponse, error) {
	var what int
	select {
	case what = <-p.wake:
	case <-p.ctx.Done():
		q.mu.Lock()
		for i, w := range q.queue {
			if w == p {
				// Still queued: never sent.
				q.queue = append(q.queue[:i], q.queue[i+1:]...)
				q.bytes -= p.opSize
				q.mu.Unlock()
				err := p.ctx.Err()
				return OpResponse{}, unbatched(p.op.Kind, err)
			}
		}
		q.mu.Unlock()
		select {
		case what = <-p.wake:
		default:
			// In a batch in flight: give up on its answer. The batch ends
			// once no member waits for it.
			if p.batch.live.Add(-1) == 0 {
				p.batch.cancel()
			}
			err := p.ctx.Err()
			return OpResponse{}, mapError(p.ctx, methodOf(p.op.Kind), "", p.op.Kind != wire.OpRange,
				co.c.cfg.MaxCallRecvMsgSize, status.FromContextError(err).Err())
		}
	}
	switch what {
	case goAlone:
		co.alone.Add(1)
		resp, err := co.c.sendAlone(p.ctx, &p.op)
		co.release(q)
		return resp, err
	case goResend:
		if p.ctx.Err() == nil { // one whose context ended is not sent again
			co.resent.Add(1)
		}
		return co.c.sendAlone(p.ctx, &p.op)
	case goClosed:
		return OpResponse{}, co.c.closedError(methodOf(p.op.Kind), "", false, p.op.Kind != wire.OpRange, "")
	}
	return p.resp, p.err
}

// close fails every request still waiting to be batched; the connection
// is closed, so none is sent.
func (co *coalescer) close() {
	for i := range co.kinds {
		q := &co.kinds[i]
		q.mu.Lock()
		for _, p := range q.queue {
			p.wake <- goClosed
		}
		clear(q.queue)
		q.queue, q.bytes = q.queue[:0], 0
		q.mu.Unlock()
	}
}

// unbatched is the error of a request whose context ended (err) before it
// was sent: never sent, so a write was not applied.
func unbatched(k wire.OpKind, err error) *Error {
	return &Error{Method: methodOf(k), NotSent: true, Code: status.FromContextError(err).Code(),
		Message: "waiting to be coalesced: " + err.Error(), kind: err, ctxErr: err}
}

// release ends one batch or lone request of q and sends what waits.
func (co *coalescer) release(q *batchQueue) {
	q.mu.Lock()
	q.inflight--
	co.dispatchLocked(q)
	q.mu.Unlock()
}

// dispatchLocked sends batches from q's queue while q has room in flight.
func (co *coalescer) dispatchLocked(q *batchQueue) {
	for q.inflight < co.cfg.MaxInFlight && len(q.queue) > 0 {
		members := co.take(q)
		q.inflight++
		now := time.Now()
		for _, p := range members {
			co.waited.Add(uint64(now.Sub(p.since)))
		}
		if len(members) == 1 {
			members[0].wake <- goAlone
			continue
		}
		b := newBatch(members)
		go co.send(q, b)
	}
}

// take removes the next batch from q's queue: the requests in arrival
// order that fit under MaxOps and MaxBytes, leaving for a later batch
// every write whose key or range overlaps one already taken (etcd refuses
// a transaction that writes a key twice). A request larger than MaxBytes
// goes alone.
func (co *coalescer) take(q *batchQueue) []*pending {
	var members []*pending
	rest := q.queue[:0]
	size := 0
	maxOps, maxBytes := int(co.maxOps.Load()), int(co.maxBytes.Load())
	prevs := 0 // writes that ask for their previous key-values
	for _, p := range q.queue {
		prev := wantsPrev(&p.op)
		fits := len(members) < maxOps && size+p.opSize <= maxBytes && (!prev || prevs < co.maxPrevs)
		if len(members) == 0 || fits && !overlapsAny(members, p) {
			members = append(members, p)
			size += p.opSize
			if prev {
				prevs++
			}
			continue
		}
		rest = append(rest, p)
	}
	q.bytes -= size
	clear(q.queue[len(rest):])
	q.queue = rest
	return members
}

// newBatch makes the batch of members, with a context of its own that
// ends when the last of the members' deadlines passes, or when no member
// waits for the answer any more.
func newBatch(members []*pending) *batch {
	b := &batch{members: members}
	b.live.Store(int32(len(members)))
	latest, all := time.Time{}, true
	for _, p := range members {
		p.batch = b
		b.size += p.opSize
		dl, ok := p.ctx.Deadline()
		all = all && ok
		if ok && dl.After(latest) {
			latest = dl
		}
	}
	if all {
		b.ctx, b.cancel = context.WithDeadline(context.Background(), latest)
	} else {
		b.ctx, b.cancel = context.WithCancel(context.Background())
	}
	return b
}

// wantsPrev says whether a write asks for the key-values it replaces or
// deletes, whose size the request does not tell.
func wantsPrev(o *wire.OpFields) bool {
	return o.Kind == wire.OpPut && o.Put.PrevKV || o.Kind == wire.OpDelete && o.Delete.PrevKV
}

// maxPrevAnswer is what conn assumes one write with prev_kv may bring
// back: a value up to etcd's default --max-request-bytes (1.5 MiB), with
// room for its key.
const maxPrevAnswer = 2 << 20

// send sends a batch as one transaction and hands each member its answer.
func (co *coalescer) send(q *batchQueue, b *batch) {
	defer co.release(q)
	n := uint64(len(b.members))
	co.batches.Add(1)
	co.batched.Add(n)
	for m := co.maxBatch.Load(); n > m && !co.maxBatch.CompareAndSwap(m, n); m = co.maxBatch.Load() {
	}

	defer b.cancel()
	ctx := b.ctx
	kind := kindOf(&b.members[0].op)
	write := kind == batchWrites
	t := codec.Txn{Fields: wire.TxnFields{Write: write, Serializable: kind == batchSerializable}}
	t.Fields.Top.Success = make([]wire.OpFields, len(b.members))
	for i, p := range b.members {
		t.Fields.Top.Success[i] = p.op
	}
	resp := wireResponse[*TxnResponse]{decode: decodeTxn}
	err := co.c.invoke(ctx, MethodTxn, &t, &resp, write)
	if err == nil && !answers(resp.out, b.members) {
		err = &Error{Method: MethodTxn, Code: codes.Internal, kind: ErrMalformedResponse, Unknown: write,
			Message: "the answer to a coalesced transaction does not match its requests"}
	} else if err != nil && resp.err != nil {
		err = malformed(err, resp.err, write)
	}
	if err == nil {
		for i, p := range b.members {
			p.resp = resp.out.Responses[i]
			p.resp.setHeader(resp.out.Header)
			p.wake <- goDone
		}
		return
	}
	var e *Error
	errors.As(err, &e)
	co.learn(b, err)
	for _, p := range b.members {
		switch {
		case p.op.Kind == wire.OpRange || e == nil || !e.Unknown:
			// A read, or a batch certainly not applied (etcd applies a
			// transaction whole or not at all, and a failed one not at
			// all): the request gets the answer it gets alone.
			p.wake <- goResend
		default:
			// A write of a batch whose fate is unknown.
			pe := *e
			pe.Method = methodOf(p.op.Kind)
			pe.Message += " (in a transaction of " + strconv.Itoa(len(b.members)) + " coalesced writes)"
			p.err = &pe
			p.wake <- goDone
		}
	}
}

// answers says whether a transaction's answer holds one response of the
// right kind per member.
func answers(r *TxnResponse, members []*pending) bool {
	if r == nil || !r.Succeeded || len(r.Responses) != len(members) {
		return false
	}
	for i, p := range members {
		if r.Responses[i].Kind != opKinds[p.op.Kind] {
			return false
		}
	}
	return true
}

var opKinds = [...]op.Kind{wire.OpRange: op.KindGet, wire.OpPut: op.KindPut, wire.OpDelete: op.KindDelete}

// setHeader gives the response of one operation the header of the
// transaction that carried it.
func (r *OpResponse) setHeader(h Header) {
	switch {
	case r.Get != nil:
		r.Get.Header = h
	case r.Put != nil:
		r.Put.Header = h
	case r.Delete != nil:
		r.Delete.Header = h
	}
}

// sendAlone sends one operation as its own request.
func (c *Conn) sendAlone(ctx context.Context, o *wire.OpFields) (OpResponse, error) {
	switch o.Kind {
	case wire.OpPut:
		r, err := codecUnary(c, ctx, noTimeout, MethodPut, true, codec.Put{Fields: o.Put}, nil, decodePut)
		return OpResponse{Kind: op.KindPut, Put: r}, err
	case wire.OpDelete:
		r, err := codecUnary(c, ctx, noTimeout, MethodDeleteRange, true, codec.Delete{Fields: o.Delete}, nil, decodeDelete)
		return OpResponse{Kind: op.KindDelete, Delete: r}, err
	}
	r, err := codecUnary(c, ctx, noTimeout, MethodRange, false, codec.Range{Fields: o.Range}, nil, decodeGet)
	return OpResponse{Kind: op.KindGet, Get: r}, err
}

// noTimeout is the timeout of a request whose context already carries its
// own (see requestTimeout).
const noTimeout = -1

// overlapsAny says whether write p touches a key that a write in members
// touches. Reads never conflict.
func overlapsAny(members []*pending, p *pending) bool {
	if p.op.Kind == wire.OpRange {
		return false
	}
	k, e := writeRange(&p.op)
	for _, m := range members {
		mk, me := writeRange(&m.op)
		if overlaps(k, e, mk, me) {
			return true
		}
	}
	return false
}

// writeRange is the keys a put or delete writes: [key, end), end nil for
// one key, "\x00" for every key from key on.
func writeRange(o *wire.OpFields) (key, end []byte) {
	if o.Kind == wire.OpPut {
		return o.Put.Key, nil
	}
	return o.Delete.Key, o.Delete.End
}

// overlaps says whether the key sets [k1, e1) and [k2, e2) meet (see
// writeRange).
func overlaps(k1, e1, k2, e2 []byte) bool {
	if e1 == nil && e2 == nil {
		return bytes.Equal(k1, k2)
	}
	if e1 == nil {
		return inRange(k1, k2, e2)
	}
	if e2 == nil {
		return inRange(k2, k1, e1)
	}
	return before(k1, e2) && before(k2, e1)
}

// inRange says whether key is in [k, e).
func inRange(key, k, e []byte) bool { return bytes.Compare(k, key) <= 0 && before(key, e) }

// before says whether key sorts before the range end e ("\x00": none).
func before(key, e []byte) bool {
	return len(e) == 1 && e[0] == 0 || bytes.Compare(key, e) < 0
}
