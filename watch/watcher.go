package watch

import (
	"context"
	"iter"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/connx"
)

// Watcher is one watch: a handle on its events, shared by nothing else.
// Its responses wait in a bounded buffer until the consumer takes them with
// Next, Responses or Events; see the package documentation for what
// happens when the buffer is full. A Watcher is safe for concurrent use.
//
// A watch ends when the context given to Open ends, when Close is called,
// when the connection closes or when the server ends it (compaction,
// permission, ...); Err then says why. Responses that arrived before an
// end that the user did not ask for are still delivered, then the error.
type Watcher struct {
	g             *group
	tmpl          *pb.WatchCreateRequest // shares memory with the Request's strings: never written
	createdNotify bool
	limit, low    int

	mu          sync.Mutex
	queue       []Response
	head        int
	queued      int   // buffer cost of queue[head:]
	enqNext     int64 // the watch's next revision after everything queued
	last        error // stream failure being recovered from
	err         *Error
	paused      bool
	resumeAsked bool
	stop        func() bool // unregisters the context callback
	created     bool        // the server created the watch once
	dropped     bool        // ended by the user, the queue dropped
	isStarted   bool
	startc      chan struct{} // closed when the server first created the watch, or it ended
	notify      chan struct{}
	done        chan struct{}
}

func newWatcher(g *group, tmpl *pb.WatchCreateRequest, r Request) *Watcher {
	limit := r.bufferSize()
	return &Watcher{
		g:             g,
		tmpl:          tmpl,
		createdNotify: r.set.has(optCreatedNotify),
		limit:         limit,
		low:           limit / 4,
		enqNext:       tmpl.StartRevision,
		startc:        make(chan struct{}),
		notify:        make(chan struct{}, 1),
		done:          make(chan struct{}),
	}
}

// Next returns the next response. It blocks until one arrives, the watch
// ends (the error is then the watch's final *Error, returned again by every
// later call) or ctx ends (ctx's error; the watch goes on).
func (w *Watcher) Next(ctx context.Context) (Response, error) { return w.next(ctx) }

// made says whether Open made w.
func (w *Watcher) made() bool { return w != nil && w.g != nil }

func (w *Watcher) next(ctx context.Context) (Response, error) {
	if !w.made() {
		return Response{}, notStarted()
	}
	cancel := ctx.Done() // nil, so never ready, for the iterators' context.Background()
	for {
		w.mu.Lock()
		if w.head < len(w.queue) {
			r, resume := w.popLocked()
			more := w.head < len(w.queue)
			w.mu.Unlock()
			if more {
				w.signal()
			}
			if resume {
				_ = w.g.m.submit(w.g, command{kind: cmdResume, w: w})
			}
			return r, nil
		}
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return Response{}, err
		}
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-cancel:
			return Response{}, ctx.Err()
		}
	}
}

// Responses iterates over the watch's responses, events and notifications
// alike. When the watch ends the last pair holds its final error. Leaving
// the loop early does not end the watch; Close does.
func (w *Watcher) Responses() iter.Seq2[Response, error] {
	return func(yield func(Response, error) bool) {
		for {
			r, err := w.next(context.Background())
			if err != nil {
				yield(Response{}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Events iterates over the watch's events one by one, skipping
// notifications. When the watch ends the last pair holds its final error.
// Leaving the loop early does not end the watch (Close does), and the
// events of the response it was in the middle of come first in the next
// loop or Next.
func (w *Watcher) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			r, err := w.next(context.Background())
			if err != nil {
				yield(Event{}, err)
				return
			}
			for i, ev := range r.Events {
				if !yield(ev, nil) {
					w.unpop(r, i+1)
					return
				}
			}
		}
	}
}

// Done is closed when the watch has ended. Responses that arrived before
// may still wait in Next.
func (w *Watcher) Done() <-chan struct{} {
	if !w.made() {
		return connx.Closed()
	}
	return w.done
}

// Err returns why the watch ended (an *Error), or nil while it runs.
func (w *Watcher) Err() error {
	if !w.made() {
		return notStarted()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		return nil
	}
	return w.err
}

// Close ends the watch: a cancel request for it alone goes to the server,
// buffered responses are dropped and Err reports ErrClosed. Closing an
// ended watch does nothing. It always returns nil.
func (w *Watcher) Close() error {
	if !w.made() {
		return nil
	}
	w.endByUser(ErrClosed)
	return nil
}

// RequestProgress asks the server for a progress notification on the
// watch's stream. The server answers when every watch of the stream has
// caught up with the store, with a Response whose Progress is set and
// whose header revision is the store's; it goes to every watch of the
// stream. It fails only when the watch has ended or ctx has.
func (w *Watcher) RequestProgress(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.Err(); err != nil {
		return err
	}
	if err := w.g.m.submit(w.g, command{kind: cmdProgress, w: w}); err != nil {
		return w.g.m.closedError()
	}
	return nil
}

// unpop puts back the events of r from index i on, which the consumer has
// not taken, at the head of the queue.
func (w *Watcher) unpop(r Response, i int) {
	if i >= len(r.Events) {
		return
	}
	r.Events = r.Events[i:]
	r.from = r.Events[0].KV.ModRevision
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped {
		return // ended by the user: nothing more is delivered
	}
	if w.head > 0 {
		w.head--
		w.queue[w.head] = r
	} else {
		w.queue = append([]Response{r}, w.queue...)
	}
	w.queued += r.cost()
}

// popLocked removes the head of the queue. It reports whether the watch
// should now be resumed.
func (w *Watcher) popLocked() (Response, bool) {
	r := w.queue[w.head]
	w.queue[w.head] = Response{}
	w.head++
	w.queued -= r.cost()
	switch {
	case w.head == len(w.queue):
		w.queue, w.head = w.queue[:0], 0
	case w.head >= 64 && w.head*2 >= len(w.queue):
		n := copy(w.queue, w.queue[w.head:])
		clear(w.queue[n:])
		w.queue, w.head = w.queue[:n], 0
	}
	if w.paused && !w.resumeAsked && w.queued <= w.low {
		w.resumeAsked = true
		return r, true
	}
	return r, false
}

func (w *Watcher) signal() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// push queues a response for the consumer and reports whether the buffer
// is now full, in which case the watch is marked paused. Consecutive
// progress notifications are merged into one.
func (w *Watcher) push(r Response) (full bool) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return false
	}
	if n := len(w.queue); r.Progress && n > w.head && w.queue[n-1].Progress {
		w.queue[n-1].Header, w.queue[n-1].next = r.Header, r.next
	} else {
		w.queue = append(w.queue, r)
		w.queued += r.cost()
	}
	w.enqNext = r.next
	if w.queued >= w.limit {
		w.paused, w.resumeAsked = true, false
		full = true
	}
	w.mu.Unlock()
	w.signal()
	return full
}

// started records that the server created the watch: the revision the
// watch starts from is now known and the stream failure, if any, is over.
func (w *Watcher) started(next int64) {
	w.mu.Lock()
	if next > w.enqNext {
		w.enqNext = next
	}
	w.last = nil
	w.created = true
	w.markStartedLocked()
	w.mu.Unlock()
}

// markStartedLocked releases Open, once.
func (w *Watcher) markStartedLocked() {
	if !w.isStarted {
		w.isStarted = true
		close(w.startc)
	}
}

// resuming records the stream failure the watch is recovering from.
func (w *Watcher) resuming(err error) {
	w.mu.Lock()
	w.last = err
	w.mu.Unlock()
}

// unpause clears the pause once the watch is being created again.
func (w *Watcher) unpause() {
	w.mu.Lock()
	w.paused, w.resumeAsked = false, false
	w.mu.Unlock()
}

// end ends the watch from the stream's side: what is queued is still
// delivered, then e.
func (w *Watcher) end(e *Error) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	if e.Last == nil {
		e.Last = w.last
	}
	w.err = e
	w.markStartedLocked()
	stop := w.stop
	w.mu.Unlock()
	close(w.done)
	w.signal()
	if stop != nil {
		stop()
	}
}

// endByUser ends the watch at the user's request (Close or the context):
// the queue is dropped and the stream is told to forget the watch.
func (w *Watcher) endByUser(cause error) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	next := w.enqNext
	if w.head < len(w.queue) {
		next = w.queue[w.head].from
	}
	clear(w.queue)
	w.queue, w.head, w.queued, w.dropped = nil, 0, 0, true
	w.err = &Error{Cause: cause, Next: next, Last: w.last}
	w.markStartedLocked()
	stop := w.stop
	w.mu.Unlock()
	close(w.done)
	w.signal()
	if stop != nil {
		stop()
	}
	_ = w.g.m.submit(w.g, command{kind: cmdRemove, w: w})
}

// watchContext ends the watch when ctx ends.
func (w *Watcher) watchContext(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { w.endByUser(ctx.Err()) })
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		stop()
		return
	}
	w.stop = stop
	w.mu.Unlock()
}
