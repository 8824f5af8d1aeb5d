package lease

import (
	"container/heap"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/internal/connx"
)

// never is a time no deadline reaches.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Pacing. A lease is renewed a third of its TTL after the last
// acknowledgement (the TTL the server granted, as the acknowledgement says).
const (
	// minSlack lets one wake-up of the loop send every renewal due within
	// it. When a renewal is due, every renewal due within a quarter of its
	// interval goes out with it (see scheduleLocked).
	minSlack = 25 * time.Millisecond
	// firstRetry is the resend interval of a lease whose TTL is not known
	// yet (no acknowledgement so far). etcd grants no TTL below 2 s by
	// default, so a third of that is as patient as any lease needs.
	firstRetry = 2 * time.Second / 3
	// Reopening a broken stream: exponential from backoffBase to
	// backoffMax, back to the base once a stream delivered an answer.
	backoffBase = 50 * time.Millisecond
	backoffMax  = time.Second
)

// muxKey is the key of a connection's keep-alive multiplexer (connx.Shared).
type muxKey struct{}

// tracked is one lease kept alive on a connection, shared by every Handle of
// that lease ID. All fields are guarded by mux.mu.
type tracked struct {
	id      int64
	ttl     int64     // seconds, from the last acknowledgement; 0 before the first
	lastAck time.Time // zero before the first acknowledgement
	expires time.Time // last acknowledgement (or confirmation) + TTL
	sendAt  time.Time // next renewal; never while no stream is open
	checkAt time.Time // when to confirm with time-to-live: expires, later after a failed check; zero before the first acknowledgement
	inCheck bool      // a confirmation is queued or running
	due     time.Time // the heap key: the earlier of sendAt and (unless inCheck) checkAt
	idx     int       // position in mux.heap, -1 when not in it
	handles []*Handle
}

// interval is how long after a renewal the next one goes out.
func (t *tracked) interval() time.Duration {
	if t.ttl <= 0 {
		return firstRetry
	}
	return time.Duration(t.ttl) * time.Second / 3
}

// renewed records an acknowledgement at time at, granting ttl seconds:
// the next renewal goes out a third of that later, and the lease is
// confirmed with the server if nothing more is heard for the whole TTL.
func (t *tracked) renewed(ttl int64, at time.Time) {
	t.ttl = ttl
	t.lastAck = at
	t.expires = at.Add(time.Duration(ttl) * time.Second)
	t.checkAt = t.expires
	t.sendAt = at.Add(t.interval())
}

func (t *tracked) nextDue() time.Time {
	d := t.sendAt
	if !t.inCheck && !t.checkAt.IsZero() && t.checkAt.Before(d) {
		d = t.checkAt
	}
	return d
}

// mux keeps every lease of one connection alive on one bidirectional
// keep-alive stream. It is attached to the connection with connx.Shared
// and closed by Conn.Close; users never see it.
//
// Goroutines: run (one while any lease is kept) owns the stream, decides
// what is due and sends; receive (one per open stream) reads the answers and
// applies them; check (one while confirmations are pending) asks the server
// about leases that went without an answer for longer than their TTL. The
// lease table is guarded by mu; every wait selects on quit.
type mux struct {
	x connx.Conn

	mu           sync.Mutex
	table        map[int64]*tracked
	heap         dueHeap
	running      bool // run is running
	closed       bool
	streamCancel context.CancelFunc // ends the current stream, nil when none
	checkQ       []*tracked
	checking     bool               // check is running
	checkCancel  context.CancelFunc // ends the confirmation in flight

	kick chan struct{} // wakes run; capacity 1
	quit chan struct{} // closed by Close
	wg   sync.WaitGroup
}

func newMux(x connx.Conn) *mux {
	return &mux{x: x, table: make(map[int64]*tracked), kick: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (m *mux) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// add starts keeping h's lease alive, with the loop started if it is not
// running. ctx bounds h's life.
func (m *mux) add(ctx context.Context, h *Handle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.closedErr()
	}
	now := time.Now()
	t := m.table[h.id]
	if t == nil {
		t = &tracked{id: h.id, sendAt: now, due: now}
		m.table[h.id] = t
		heap.Push(&m.heap, t)
	} else {
		// Renew now, so that the new handle learns that the lease is there.
		t.sendAt = now
		m.fixLocked(t)
	}
	t.handles = append(t.handles, h)
	h.t = t
	h.stopCtx = context.AfterFunc(ctx, func() { h.end(ctxEnded(h.id, ctx.Err())) })
	if !m.running {
		m.running = true
		m.wg.Add(1)
		go m.run()
	} else {
		m.wake()
	}
	return nil
}

// endLocked ends h with err, and stops keeping its lease alive when h was
// its last handle.
func (m *mux) endLocked(h *Handle, err error) {
	if h.err != nil {
		return
	}
	t := h.t
	h.err, h.ttl, h.lastAck = err, t.ttl, t.lastAck
	if !h.started {
		h.started = true
		close(h.startc)
	}
	close(h.done)
	if h.stopCtx != nil {
		h.stopCtx()
	}
	if i := slices.Index(t.handles, h); i >= 0 {
		t.handles = slices.Delete(t.handles, i, i+1)
	}
	if len(t.handles) == 0 {
		if m.table[t.id] == t {
			delete(m.table, t.id)
		}
		if t.idx >= 0 {
			heap.Remove(&m.heap, t.idx)
		}
		m.wake()
	}
}

// loseLocked ends every handle of t: the server answered at time at that
// it no longer has the lease (cause).
func (m *mux) loseLocked(t *tracked, at time.Time, cause error) {
	err := &LostError{ID: t.id, LastAck: t.lastAck, TTL: t.ttl, At: at, Cause: cause,
		Revoked: !t.lastAck.IsZero() && at.Before(t.expires)}
	if !t.lastAck.IsZero() {
		m.x.Logger().Warn("lease: lease lost", "lease", t.id, "err", err)
	}
	for len(t.handles) > 0 {
		m.endLocked(t.handles[len(t.handles)-1], err)
	}
}

func (m *mux) fixLocked(t *tracked) {
	t.due = t.nextDue()
	if t.idx >= 0 {
		heap.Fix(&m.heap, t.idx)
	}
}

// ack applies one answer of the stream (receive calls it).
func (m *mux) ack(resp *pb.LeaseKeepAliveResponse, at time.Time, cause func() error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.table[resp.ID]
	if t == nil {
		return // stopped meanwhile
	}
	if resp.TTL <= 0 {
		m.loseLocked(t, at, cause())
		return
	}
	t.renewed(resp.TTL, at)
	m.fixLocked(t)
	for _, h := range t.handles {
		if !h.started {
			h.started = true
			close(h.startc)
		}
	}
}

// renewAllLocked makes every lease due now: a stream was (re)opened.
func (m *mux) renewAllLocked(now time.Time) {
	for _, t := range m.heap {
		t.sendAt = now
		t.due = t.nextDue()
	}
	heap.Init(&m.heap)
}

// scheduleLocked takes every action due by now: it appends the leases to
// renew to sends (when a stream is active) and queues confirmations. It
// returns when the loop must wake up next.
//
// Renewals go out in bursts: when one is due, every renewal due within a
// quarter of its interval goes out with it, a little early. Leases renewed
// together are answered together and fall due together again, so leases
// settle into a few bursts per interval however they were started, and each
// burst shares the loop's wake-up and the stream's writes.
func (m *mux) scheduleLocked(now time.Time, active bool, sends []int64) ([]int64, time.Time) {
	horizon := now.Add(minSlack)
	if len(m.heap) > 0 && !m.heap[0].sendAt.After(now) {
		horizon = now.Add(max(minSlack, m.heap[0].interval()/4))
	}
	for len(m.heap) > 0 {
		t := m.heap[0]
		if t.due.After(horizon) {
			break
		}
		progressed := false
		if !t.inCheck && !t.checkAt.IsZero() && !now.Before(t.checkAt) {
			// No acknowledgement for longer than the TTL: ask the server
			// before saying anything.
			m.queueCheckLocked(t)
			progressed = true
		}
		if !t.sendAt.After(horizon) {
			if active {
				sends = append(sends, t.id)
				t.sendAt = now.Add(t.interval())
			} else {
				t.sendAt = never // renewed as soon as a stream opens
			}
			progressed = true
		}
		if !progressed {
			break // only a confirmation deadline is near: wake up for it
		}
		m.fixLocked(t)
	}
	if len(m.heap) == 0 {
		return sends, never
	}
	return sends, m.heap[0].due
}

// streamEvent is what receive reports to run: a stream opened, or broke.
type streamEvent struct {
	gen    uint64
	stream grpc.ClientStream // set when opened
	err    error             // set when it broke, mapped to conn's errors
	acked  bool              // the broken stream had delivered answers
}

// run is the loop that owns the stream: it opens it (through receive),
// sends the renewals that are due, and reopens it with backoff when it
// breaks. It returns when no lease is left or the connection closes.
func (m *mux) run() {
	defer m.wg.Done()
	var (
		st       grpc.ClientStream // the open stream, nil when none
		broken   bool              // st failed a send; receive will report why
		opening  bool              // receive is opening a stream
		gen      uint64
		reopenAt time.Time
		backoff  time.Duration
		cancel   context.CancelFunc = func() {}
		sends    []int64
		events   = make(chan streamEvent, 1)
		timer    = time.NewTimer(time.Hour)
		log      = m.x.Logger()
	)
	defer timer.Stop()
	defer func() { cancel() }()
	for {
		now := time.Now()
		m.mu.Lock()
		if m.closed || len(m.table) == 0 {
			m.running = false
			m.streamCancel = nil
			m.mu.Unlock()
			return
		}
		if st == nil && !opening && !now.Before(reopenAt) {
			gen++
			var sctx context.Context
			sctx, cancel = context.WithCancel(requireLeader(context.Background()))
			m.streamCancel = cancel
			opening = true
			m.wg.Add(1)
			go m.receive(sctx, gen, events)
		}
		var next time.Time
		sends, next = m.scheduleLocked(now, st != nil && !broken, sends[:0])
		m.mu.Unlock()

		for _, id := range sends {
			if err := st.SendMsg(&pb.LeaseKeepAliveRequest{ID: id}); err != nil {
				broken = true // receive reports the stream's status
				break
			}
		}
		if st == nil && !opening && reopenAt.Before(next) {
			next = reopenAt
		}
		timer.Reset(time.Until(next))
		select {
		case ev := <-events:
			if ev.gen != gen {
				continue
			}
			opening = false
			if ev.stream != nil {
				st, broken = ev.stream, false
				log.Debug("lease: keep-alive stream open")
				m.mu.Lock()
				m.renewAllLocked(time.Now())
				m.mu.Unlock()
				continue
			}
			st, broken = nil, false
			cancel()
			if ev.acked {
				backoff = 0
			}
			if m.reauth(ev.err) {
				reopenAt = time.Time{}
				continue
			}
			backoff = min(max(2*backoff, backoffBase), backoffMax)
			reopenAt = time.Now().Add(backoff)
			log.Debug("lease: keep-alive stream ended", "err", ev.err, "retry_in", backoff)
		case <-m.kick:
		case <-timer.C:
		case <-m.quit:
		}
	}
}

// reauth authenticates again when err says the token was refused, so that
// the stream may be reopened at once.
func (m *mux) reauth(err error) bool {
	// Reauth returns at once unless err is an auth error; then the
	// timeout bounds the new authentication.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok, rerr := m.x.Reauth(ctx, err)
	if rerr != nil {
		m.x.Logger().Warn("lease: re-authentication for the keep-alive stream failed", "err", rerr)
	}
	return ok
}

// receive opens a stream, reports it to run, then applies every answer
// until the stream breaks, and reports that. ctx is the stream's own.
func (m *mux) receive(ctx context.Context, gen uint64, events chan<- streamEvent) {
	defer m.wg.Done()
	report := func(ev streamEvent) {
		select {
		case events <- ev:
		case <-ctx.Done():
		}
	}
	cs, err := m.x.NewStream(ctx, &keepAliveDesc, MethodKeepAlive)
	if err != nil {
		report(streamEvent{gen: gen, err: m.x.Error(context.Background(), MethodKeepAlive, nil, connx.Read, err)})
		return
	}
	p := peerOf(cs)
	report(streamEvent{gen: gen, stream: cs})
	cause := func() error { return notFound(context.Background(), m.x, MethodKeepAlive, p) }
	var resp pb.LeaseKeepAliveResponse
	acked := false
	for {
		if err := cs.RecvMsg(&resp); err != nil {
			report(streamEvent{gen: gen, err: m.x.Error(context.Background(), MethodKeepAlive, p, connx.Read, err), acked: acked})
			return
		}
		acked = true
		m.ack(&resp, time.Now(), cause)
	}
}

// Close ends every keep-alive of the connection with an error matching
// conn.ErrClosed and waits for the goroutines to exit. Conn.Close calls it.
func (m *mux) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.quit)
		if m.streamCancel != nil {
			m.streamCancel() // unblocks a send stuck on flow control
		}
		if m.checkCancel != nil {
			m.checkCancel()
		}
		err := m.closedErr()
		for _, t := range m.table {
			for len(t.handles) > 0 {
				m.endLocked(t.handles[len(t.handles)-1], err)
			}
		}
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// closedErr is the error of keep-alives ended by the connection's Close: a
// *conn.Error matching conn.ErrClosed.
func (m *mux) closedErr() error {
	return m.x.Error(context.Background(), MethodKeepAlive, nil, connx.Read, errConnClosed)
}

var errConnClosed = errors.New("connection closed")
