package watch

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// group is the watches of one connection that share a stream: those that
// require a leader, or those that do not. Its owner goroutine (run) holds
// all the state of the watches on the stream; everything else talks to it
// through the inbox (commands) and in (what the stream receives).
type group struct {
	m             *mux
	requireLeader bool
	inbox         []command // guarded by m.mu
	running       bool      // guarded by m.mu
	wake          chan struct{}
	in            chan sessionMsg
	ahead         atomic.Int64  // bytes of the responses in in
	drained       chan struct{} // the owner took a response from in
}

type cmdKind uint8

const (
	cmdAdd      cmdKind = iota // a new watch
	cmdRemove                  // the user ended the watch
	cmdResume                  // the consumer caught up with a paused watch
	cmdProgress                // RequestProgress
)

type command struct {
	kind cmdKind
	w    *Watcher
}

// Watch states, as the owner sees them.
type state uint8

const (
	pending  state = iota // waiting for a stream
	creating              // create request sent, created response awaited
	active                // created: events flow
	paused                // buffer full: cancelled on the server until the consumer catches up
)

// wstate is the owner's record of one watch.
type wstate struct {
	w       *Watcher
	state   state
	id      int64 // on the current stream, while creating or active
	next    int64 // first revision not yet received; 0 until known
	created bool  // the server created it once (for WithCreatedNotify)
	gone    bool  // cancelled while creating: ignore its created response
	frag    []*mvccpb.Event
}

// Backoff between failed streams.
const (
	backoffBase = 50 * time.Millisecond
	backoffMax  = 2 * time.Second
)

// loop is the owner's state.
type loop struct {
	g        *group
	watches  map[*Watcher]*wstate
	byID     map[int64]*wstate // creating and active watches on the stream
	creating []*wstate         // awaiting their created response, in request order
	sess     *session
	nextID   int64
	backoff  time.Duration
	retry    *time.Timer
	retryC   <-chan time.Time
	reauth   error // auth failure to recover from on the next stream
	progress bool  // a progress request waits for a stream
	// retired holds the IDs of their own (WithWatchID) of the watches
	// cancelled on the stream: etcd keeps what a cancelled watcher had
	// queued and sends it, under the same ID, to the next watch created
	// with it, so no watch is created with them again on this stream.
	retired map[int64]struct{}
}

// run is the owner goroutine. It exits when the group has no watch left
// (closing its stream first) or when the mux closes.
func (g *group) run() {
	defer g.m.wg.Done()
	l := &loop{g: g, watches: make(map[*Watcher]*wstate), byID: make(map[int64]*wstate)}
	for {
		select {
		case <-g.wake:
			for _, c := range g.m.takeInbox(g) {
				l.command(c)
			}
		case msg := <-g.in:
			l.onSession(msg)
			if msg.size > 0 {
				g.ahead.Add(-msg.size)
				select {
				case g.drained <- struct{}{}:
				default:
				}
			}
		case <-l.retryC:
			l.retryC = nil
			l.start()
		case <-g.m.closing:
			l.closeAll()
			return
		}
		if len(l.watches) == 0 {
			l.stopSession()
			l.stopRetry()
			if g.m.idle(g) {
				return
			}
		}
	}
}

func (l *loop) command(c command) {
	switch c.kind {
	case cmdAdd:
		st := &wstate{w: c.w, next: c.w.tmpl.StartRevision}
		l.watches[c.w] = st
		switch {
		case l.sess != nil:
			l.create(st)
		case l.retryC == nil:
			l.start()
		}
	case cmdRemove:
		st := l.watches[c.w]
		if st == nil {
			return
		}
		delete(l.watches, c.w)
		if len(l.watches) > 0 {
			l.cancel(st) // else the stream closes, which cancels it
		}
	case cmdResume:
		st := l.watches[c.w]
		if st == nil || st.state != paused {
			return
		}
		st.state = pending
		c.w.unpause()
		switch {
		case l.sess != nil:
			l.create(st)
		case l.retryC == nil:
			l.start()
		}
	case cmdProgress:
		if l.sess != nil {
			l.sess.send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}})
		} else {
			l.progress = true
		}
	}
}

// start opens a new stream and creates every watch that waits for one.
func (l *loop) start() {
	l.sess = startSession(l.g, l.reauth)
	l.reauth = nil
	l.nextID = 0
	clear(l.retired)
	for _, st := range l.watches {
		if st.state == pending {
			l.create(st)
		}
	}
	if l.progress {
		l.progress = false
		l.sess.send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_ProgressRequest{ProgressRequest: &pb.WatchProgressRequest{}}})
	}
}

// create sends st's create request from its next revision.
func (l *loop) create(st *wstate) {
	t := st.w.tmpl
	id := t.WatchId
	if _, used := l.byID[id]; id != 0 && used {
		l.end(st, &Error{Cause: ErrIDInUse, Next: st.next})
		return
	}
	// An ID cancelled on this stream is not used again (see retired):
	// a watch created again after a pause would first receive the events
	// its cancelled watcher had queued, newer than those it missed, which
	// would then be dropped as repeats; a new watch would receive another
	// watch's events.
	if _, r := l.retired[id]; id == 0 || r {
		for {
			l.nextID++
			_, used := l.byID[l.nextID]
			if _, r := l.retired[l.nextID]; !used && !r {
				break
			}
		}
		id = l.nextID
	}
	st.id, st.state, st.gone = id, creating, false
	l.byID[id] = st
	l.creating = append(l.creating, st)
	l.sess.send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{
		Key:            t.Key,
		RangeEnd:       t.RangeEnd,
		StartRevision:  st.next,
		ProgressNotify: t.ProgressNotify,
		Filters:        t.Filters,
		PrevKv:         t.PrevKv,
		WatchId:        id,
		// A watch created again catches up from its next revision, which
		// may be far behind: fragments keep each message, and so the
		// memory the watch holds, within the server's request size.
		Fragment: t.Fragment || st.created,
	}}})
}

// cancel takes st off the stream: a cancel request if the server has it.
func (l *loop) cancel(st *wstate) {
	switch st.state {
	case creating:
		st.gone = true
		fallthrough
	case active:
		delete(l.byID, st.id)
		l.sess.send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CancelRequest{CancelRequest: &pb.WatchCancelRequest{WatchId: st.id}}})
		if st.id == st.w.tmpl.WatchId {
			if l.retired == nil {
				l.retired = make(map[int64]struct{})
			}
			l.retired[st.id] = struct{}{}
		}
	}
	st.frag = nil
}

// end ends a watch from the stream's side.
func (l *loop) end(st *wstate, e *Error) {
	delete(l.watches, st.w)
	if st.state == creating || st.state == active {
		delete(l.byID, st.id)
	}
	if st.state == creating {
		st.gone = true
	}
	st.frag = nil
	st.w.end(e)
}

func (l *loop) onSession(m sessionMsg) {
	if m.s != l.sess {
		return
	}
	if m.err != nil {
		l.fail(m.err)
		return
	}
	l.sess.got = true
	l.backoff = 0
	l.onResponse(m.resp)
}

// fail handles the end of the stream: every watch on it waits for the
// next stream, which starts after a backoff.
func (l *loop) fail(err error) {
	got := l.sess != nil && l.sess.got
	l.stopSession()
	if errors.Is(err, conn.ErrInvalidAuthToken) || errors.Is(err, conn.ErrAuthOldRevision) {
		l.reauth = err
	}
	for _, st := range l.watches {
		if st.state == creating || st.state == active {
			st.state = pending
			st.frag = nil
			st.w.resuming(err)
		}
	}
	clear(l.byID)
	clear(l.creating)
	l.creating = l.creating[:0]
	if len(l.watches) == 0 {
		return
	}
	l.g.m.x.Logger().Info("getcd: watch stream ended, resuming its watches", "watches", len(l.watches), "err", err)
	switch {
	case got || l.reauth != nil:
		l.backoff = 0
	case l.backoff == 0:
		l.backoff = backoffBase
	default:
		l.backoff = min(2*l.backoff, backoffMax)
	}
	if l.backoff == 0 {
		l.start()
		return
	}
	d := l.backoff/2 + rand.N(l.backoff/2+1)
	l.retry = time.NewTimer(d)
	l.retryC = l.retry.C
}

func (l *loop) stopSession() {
	if l.sess != nil {
		l.sess.stop()
		l.sess = nil
	}
}

func (l *loop) stopRetry() {
	if l.retry != nil {
		l.retry.Stop()
		l.retry, l.retryC = nil, nil
	}
}

// closeAll ends every watch, queued ones included, because the connection
// closed.
func (l *loop) closeAll() {
	cause := l.g.m.closedError()
	for _, st := range l.watches {
		st.w.end(&Error{Cause: cause, Next: st.next})
	}
	clear(l.watches)
	for _, c := range l.g.m.takeInbox(l.g) {
		if c.kind == cmdAdd {
			c.w.end(&Error{Cause: cause, Next: c.w.tmpl.StartRevision})
		}
	}
	l.stopSession()
	l.stopRetry()
}

func (l *loop) onResponse(r *pb.WatchResponse) {
	switch {
	case r.Created:
		l.onCreated(r)
	case r.Canceled:
		st := l.byID[r.WatchId]
		if st == nil || st.state != active {
			return // the answer to our own cancel
		}
		e := &Error{Next: st.next, Reason: r.CancelReason}
		if r.CompactRevision != 0 {
			e.Cause, e.CompactRevision = conn.ErrCompacted, r.CompactRevision
		} else {
			e.Cause = l.cancelCause(r.CancelReason)
		}
		l.end(st, e)
	case r.WatchId == clientInvalidWatchID:
		// A progress notification for every watch of the stream
		// (RequestProgress). The server sends it only when all of them
		// have caught up, so it holds for each watch created so far.
		if len(r.Events) > 0 {
			return
		}
		for _, st := range l.byID {
			if st.state == active {
				l.onProgress(st, r)
			}
		}
	default:
		st := l.byID[r.WatchId]
		if st == nil || st.state != active {
			return // cancelled or paused: what it missed comes again on resume
		}
		if r.Fragment {
			l.onFragment(st, r)
			return
		}
		evs := r.Events
		if st.frag != nil {
			evs = append(st.frag, evs...)
			st.frag = nil
		}
		if len(evs) == 0 {
			l.onProgress(st, r)
			return
		}
		l.deliverEvents(st, r.Header, evs)
	}
}

// onFragment keeps a fragment of a large response. The revisions that are
// complete (all but the last one received, which may go on in the next
// fragment) are delivered at once, so that a watch never holds more than
// its buffer and one revision, however large the response, and a full
// buffer pauses it in the middle of the response.
func (l *loop) onFragment(st *wstate, r *pb.WatchResponse) {
	st.frag = append(st.frag, r.Events...)
	n := len(st.frag)
	if n == 0 {
		return
	}
	last := st.frag[n-1].Kv.GetModRevision()
	cut := n
	for cut > 0 && st.frag[cut-1].Kv.GetModRevision() == last {
		cut--
	}
	if cut == 0 {
		return
	}
	whole := st.frag[:cut]
	st.frag = append([]*mvccpb.Event(nil), st.frag[cut:]...)
	l.deliverEvents(st, r.Header, whole)
}

// deliverEvents delivers whole revisions, without those already delivered.
func (l *loop) deliverEvents(st *wstate, h *pb.ResponseHeader, evs []*mvccpb.Event) {
	events := convertEvents(evs, st.next)
	if events == nil {
		return
	}
	from := st.next
	st.next = events[len(events)-1].KV.ModRevision + 1
	l.deliver(st, Response{Header: header(h), Events: events, from: from, next: st.next})
}

// clientInvalidWatchID is etcd's watch ID for "no watch" (-1): the ID of
// failed creates and of progress notifications for a whole stream.
const clientInvalidWatchID = -1

func (l *loop) onCreated(r *pb.WatchResponse) {
	if len(l.creating) == 0 {
		return
	}
	st := l.creating[0]
	l.creating[0] = nil
	l.creating = l.creating[1:]
	if st.gone {
		return
	}
	if r.Canceled || r.WatchId == clientInvalidWatchID {
		delete(l.byID, st.id)
		cause := l.cancelCause(r.CancelReason)
		if errors.Is(cause, conn.ErrInvalidAuthToken) || errors.Is(cause, conn.ErrAuthOldRevision) {
			// The stream's token expired: authenticate again and
			// re-create every watch on a new stream.
			st.state = pending
			l.fail(cause)
			return
		}
		l.end(st, &Error{Cause: cause, Next: st.next, Reason: r.CancelReason})
		return
	}
	if r.WatchId != st.id {
		l.fail(l.g.m.x.Error(context.Background(), methodWatch, nil, connx.Read,
			errors.New("watch: the server created watch "+itoa(r.WatchId)+" where "+itoa(st.id)+" was asked (etcd before 3.4 ignores watch IDs)")))
		return
	}
	st.state = active
	if st.next == 0 {
		st.next = r.Header.GetRevision() + 1
	}
	st.w.started(st.next)
	if st.w.createdNotify && !st.created {
		l.deliver(st, Response{Header: header(r.Header), Created: true, from: st.next, next: st.next})
	}
	st.created = true
}

func (l *loop) onProgress(st *wstate, r *pb.WatchResponse) {
	from := st.next
	st.next = max(st.next, r.Header.GetRevision()+1)
	l.deliver(st, Response{Header: header(r.Header), Progress: true, from: from, next: st.next})
}

// deliver queues r for the consumer; a full buffer pauses the watch: it is
// cancelled on the server, and resumed from its next revision once the
// consumer has caught up.
func (l *loop) deliver(st *wstate, r Response) {
	if st.w.push(r) {
		l.cancel(st)
		st.state = paused
	}
}

// cancelCause maps the server's reason for cancelling a watch to getcd's
// errors.
func (l *loop) cancelCause(reason string) error {
	for _, e := range [...]error{rpctypes.ErrGRPCPermissionDenied, rpctypes.ErrGRPCInvalidAuthToken,
		rpctypes.ErrGRPCAuthOldRevision, rpctypes.ErrGRPCUserEmpty, rpctypes.ErrGRPCCompacted} {
		if reason == e.Error() {
			return l.g.m.x.Error(context.Background(), methodWatch, nil, connx.Read, e)
		}
	}
	switch {
	case strings.Contains(reason, "duplicate watch ID"):
		return ErrIDInUse
	case strings.Contains(reason, "required revision has been compacted"):
		return conn.ErrCompacted
	}
	return conn.ErrWatchCanceled
}
