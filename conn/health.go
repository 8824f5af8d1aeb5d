package conn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

const methodStatus = "/etcdserverpb.Maintenance/Status"

// health decides which endpoints are in the balancer's rotation. An
// endpoint is taken out when a call answered there says the member has no
// leader or that a NOSPACE or CORRUPT alarm is raised (observe, from the
// picker's Done callback, for every call and stream of the connection).
// One goroutine (run) probes every endpoint that is out with a Status call
// every ProbeInterval and puts it back when the member reports a leader
// and neither alarm.
//
// The same goroutine probes suspects: members that have KV calls in flight,
// or held calls open (watches, lease keep-alives, server-side locks and
// campaigns: see isHeld), and have ended no KV call for a whole
// ProbeInterval. A member cut off from its peers holds the calls it
// accepted before it noticed (until etcd's request timeout, seven seconds
// by default); when every caller waits there, no new call arrives to be
// refused, and only a probe finds out. A held call is silent on a healthy
// member too (a watch of a key nobody writes), and etcd ends streams
// without a leader only after several election timeouts: a member that
// holds streams is probed every ProbeInterval unless KV calls end there
// or it is the connection's only endpoint.
type health struct {
	c       *Conn
	outNum  atomic.Int32 // endpoints out of rotation
	probing atomic.Int32 // probes under way: the picker looks for their target

	mu  sync.Mutex
	eps map[string]*epHealth // by host:port, the current endpoints only
}

// epHealth is one endpoint's place in rotation. out is read by the picker
// on every call; the rest is guarded by health.mu.
type epHealth struct {
	addr     string
	out      atomic.Bool
	inflight atomic.Int32 // KV calls picked and not done
	held     atomic.Int32 // held calls (isHeld) picked and not done
	lastDone atomic.Int64 // when a KV call last ended, in Unix nanoseconds
	outAt    atomic.Int64 // when it last went out of rotation, in Unix nanoseconds
	rescued  atomic.Bool  // its connections were closed since it went out (see rescue)
}

// kvStarted and kvDone count the KV calls of e; kvDone is called from the
// picker's Done callback.
func (e *epHealth) kvStarted() { e.inflight.Add(1) }

func (e *epHealth) kvDone() {
	e.lastDone.Store(time.Now().UnixNano())
	e.inflight.Add(-1)
}

// suspect says whether e has KV calls in flight, or held calls open while
// there are other endpoints (alone, a member holding streams has nowhere
// to send them, and probing it would only cost a call every interval), and
// has ended no KV call since before.
func (e *epHealth) suspect(before time.Time, alone bool) bool {
	return (e.inflight.Load() > 0 || (e.held.Load() > 0 && !alone)) && e.lastDone.Load() < before.UnixNano()
}

func newHealth(c *Conn) *health {
	h := &health{c: c, eps: map[string]*epHealth{}}
	for _, ep := range c.endpoints() {
		h.eps[ep.addr] = &epHealth{addr: ep.addr}
	}
	return h
}

// entry returns the record of addr, creating it for an endpoint that is not
// (or no longer) current, so that a late callback finds something.
func (h *health) entry(addr string) *epHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.eps[addr]
	if !ok {
		e = &epHealth{addr: addr}
	}
	return e
}

// setEndpoints keeps the records of the endpoints that stay and makes new
// ones for the endpoints that come.
func (h *health) setEndpoints(addrs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := make(map[string]*epHealth, len(addrs))
	for _, a := range addrs {
		e, ok := h.eps[a]
		if !ok {
			e = &epHealth{addr: a}
		}
		next[a] = e
	}
	for a, e := range h.eps {
		if _, ok := next[a]; !ok && e.out.Load() {
			e.out.Store(false)
			h.outNum.Add(-1)
		}
	}
	h.eps = next
}

// inRotation counts the current endpoints in rotation.
func (h *health) inRotation() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.eps) - int(h.outNum.Load())
}

// outReason says why an answer takes a member out of rotation, or nil.
func outReason(err error) error {
	switch serverErrors[statusOf(err).Message()] {
	case ErrNoLeader:
		return ErrNoLeader
	case ErrNoSpace:
		return ErrNoSpace
	case ErrCorrupt:
		return ErrCorrupt
	}
	return nil
}

// observe is called with the error of every call and stream that ended
// with one on the endpoint of e.
func (h *health) observe(e *epHealth, err error) {
	if reason := outReason(err); reason != nil {
		h.takeOut(e, reason)
	}
}

// takeOut takes e out of rotation for cause: one of the sentinels of
// outReason, or an *outError that wraps one.
func (h *health) takeOut(e *epHealth, cause error) {
	h.mu.Lock()
	if h.eps[e.addr] != e || e.out.Load() {
		h.mu.Unlock()
		return
	}
	e.out.Store(true)
	e.outAt.Store(time.Now().UnixNano())
	h.outNum.Add(1)
	h.mu.Unlock()
	h.c.tracker.setRotation(e.addr, true, cause)
}

// rescue closes the network connections to e when a probe finds it still
// out of rotation for cause and it looks cut off from a cluster that
// serves: a probe found it without a leader, and the next one (a
// ProbeInterval later, hence the half interval of slack below) still does,
// while another endpoint is in rotation and connected (see othersServe).
// What it holds then is answered at etcd's request timeout at best; closing
// fails it at once (see rescue.go). Without the wait, a member in a brief
// election, whose calls may well outlast it, would lose them; when no other
// endpoint is in rotation and connected, the whole cluster is electing or
// down, and there is nowhere better to go. Once per time out.
func (h *health) rescue(e *epHealth, cause error) {
	if !errors.Is(cause, ErrNoLeader) || !h.othersServe(e) ||
		e.outAt.Load() > time.Now().Add(-h.c.cfg.ProbeInterval/2).UnixNano() ||
		!e.rescued.CompareAndSwap(false, true) {
		return
	}
	if n := h.c.live.closeAll(e.addr); n > 0 {
		h.c.cfg.Logger.Warn("getcd: closed the connections to a member with no leader, to move its calls and streams to the others",
			"endpoint", e.addr, "connections", n, "calls in flight", e.inflight.Load())
	}
}

// othersServe says whether an endpoint other than e is in rotation and
// connected: somewhere the calls of e can go. An endpoint in rotation is
// only one never refused for lack of a leader; a member that is down (or
// unreachable) is never refused, and stays in rotation. When the others are
// down and e has no leader, the cluster has lost its quorum: closing the
// connections of e would fail what it holds for nothing.
func (h *health) othersServe(e *epHealth) bool {
	h.mu.Lock()
	var others []string
	for a, o := range h.eps {
		if o != e && !o.out.Load() {
			others = append(others, a)
		}
	}
	h.mu.Unlock()
	return h.c.tracker.anyActive(others)
}

// putBack returns e to rotation.
func (h *health) putBack(e *epHealth) {
	h.mu.Lock()
	if !e.out.Load() {
		h.mu.Unlock()
		return
	}
	e.out.Store(false)
	e.rescued.Store(false)
	if h.eps[e.addr] == e {
		h.outNum.Add(-1)
	}
	h.mu.Unlock()
	h.c.tracker.setRotation(e.addr, false, nil)
}

// outError is why an endpoint is out of rotation, with the member's words.
type outError struct {
	reason error
	detail string
}

func (e *outError) Error() string { return e.reason.Error() + ": " + e.detail }
func (e *outError) Unwrap() error { return e.reason }

// run is the prober: every ProbeInterval it probes the endpoints out of
// rotation and the suspects. It ends when the connection closes.
func (h *health) run() {
	t := time.NewTicker(h.c.cfg.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-h.c.done:
			return
		case now := <-t.C:
			h.probeAll(now.Add(-h.c.cfg.ProbeInterval))
		}
	}
}

// probeAll probes, in parallel, every endpoint out of rotation and every
// suspect (see suspect).
func (h *health) probeAll(before time.Time) {
	h.mu.Lock()
	var probe []*epHealth
	for _, e := range h.eps {
		if e.out.Load() || e.suspect(before, len(h.eps) == 1) {
			probe = append(probe, e)
		}
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range probe {
		wg.Go(func() { h.probe(e) })
	}
	wg.Wait()
}

// probeTarget in a call's context makes the picker send the call to that
// endpoint (host:port), in rotation or not.
type probeTarget struct{}

// probe asks the member at e for its status: it takes e out of rotation, or
// keeps it out, when the member knows no leader or reports a NOSPACE or
// CORRUPT alarm, and puts it back otherwise. Alarms are raised
// cluster-wide, so while one is raised every member reports it. A member
// that does not answer stays where it is.
func (h *health) probe(e *epHealth) {
	ctx, cancel := context.WithTimeout(h.c.bgCtx, max(h.c.cfg.ProbeInterval, time.Second))
	defer cancel()
	ctx = context.WithValue(ctx, probeTarget{}, e.addr)
	h.probing.Add(1)
	defer h.probing.Add(-1)
	resp := &pb.StatusResponse{}
	if err := h.c.cc.Invoke(ctx, methodStatus, &pb.StatusRequest{}, resp); err != nil {
		return
	}
	if cause := statusUnhealthy(resp); cause != nil {
		if e.out.Load() {
			h.c.tracker.setRotation(e.addr, true, cause)
			h.rescue(e, cause)
		} else {
			h.takeOut(e, cause)
		}
		return
	}
	h.putBack(e)
}

// statusUnhealthy says why a Status answer keeps its member out of
// rotation: no leader (Leader 0, which etcd's Status also lists in Errors),
// or a NOSPACE or CORRUPT alarm among the Errors (server/etcdserver/api/
// v3rpc/maintenance.go Status lists every alarm raised in the cluster).
func statusUnhealthy(r *pb.StatusResponse) error {
	if r.Leader == 0 {
		return &outError{reason: ErrNoLeader, detail: "the member reports no leader"}
	}
	for _, e := range r.Errors {
		switch {
		case strings.Contains(e, pb.AlarmType_NOSPACE.String()):
			return &outError{reason: ErrNoSpace, detail: "alarm " + pb.AlarmType_NOSPACE.String() + " raised"}
		case strings.Contains(e, pb.AlarmType_CORRUPT.String()):
			return &outError{reason: ErrCorrupt, detail: "alarm " + pb.AlarmType_CORRUPT.String() + " raised"}
		}
	}
	return nil
}
