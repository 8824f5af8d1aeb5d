package watch

import (
	"cmp"
	"context"
	"errors"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
)

// UpdateKind says what an Update of a Mirror reports.
type UpdateKind int8

// Update kinds.
const (
	// Initial is the first update of every Changes loop: the mirror's
	// whole content, one put per key, sorted by key.
	Initial UpdateKind = iota
	// Change holds the events of one watch response: whole revisions.
	Change
	// Resync follows a re-list, after the watch could not go on (its next
	// revision was compacted, or the server cancelled it): the events are
	// the differences between the mirror before and after, sorted by key.
	// A deleted key's event carries the re-list revision as ModRevision.
	Resync
)

func (k UpdateKind) String() string {
	switch k {
	case Initial:
		return "initial"
	case Change:
		return "change"
	case Resync:
		return "resync"
	}
	return "UpdateKind(" + itoa(int64(k)) + ")"
}

// Update is one step of a Mirror. Every event carries PrevKV, the key as
// the mirror held it before (nil for a new key), whatever the request.
type Update struct {
	Kind     UpdateKind
	Revision int64 // the mirror's revision after the update
	Events   []Event
}

// subscriberBuffer is how many updates wait for a Changes loop before the
// mirror waits for it.
const subscriberBuffer = 64

// Mirror is a local copy of a range of keys kept current by a watch:
// eetcd's service-discovery example done once, right. OpenMirror lists the
// range (in pages) at one revision, then watches it from the next revision
// and applies every event to a map. When the watch cannot go on, because
// its next revision was compacted while the mirror was behind or the server
// cancelled it, the mirror lists the range again, reports what changed as a
// Resync update and carries on: it fails only when its context ends, Close
// is called, the connection closes or the server refuses the range
// (permission denied).
//
// Get, List, Len and Revision read the current copy at any time. Changes
// iterates over the updates. A Changes loop that stops reading holds the
// mirror back (the watch behind it pauses, see the package documentation),
// so memory stays bounded; without a loop the mirror never waits.
type Mirror struct {
	c        *conn.Conn
	key, end string
	page     int
	watch    Request // the range and stream options; the start revision is set per watch
	stopCtx  context.CancelCauseFunc
	wg       sync.WaitGroup
	done     chan struct{}

	mu   sync.RWMutex
	kvs  map[string]conn.KeyValue
	rev  int64
	subs map[*subscriber]struct{}
	err  error
}

type subscriber struct {
	ch   chan Update
	gone chan struct{}
}

// OpenMirror lists r's range on c and starts keeping it current. r takes a
// key and a range (WithPrefix, WithFromKey, WithRangeEnd, WithAll) and may
// take WithPageSize, WithBuffer, WithFragment, WithoutRequireLeader and a
// connection name; other options are an error. The first listing happens
// before OpenMirror returns, with its errors. ctx governs the mirror's
// whole life, as for Open.
func OpenMirror(ctx context.Context, c *conn.Conn, r Request) (*Mirror, error) {
	key, end, err := r.compileMirror()
	if err != nil {
		return nil, err
	}
	if _, err := connx.Get(c); err != nil {
		return nil, err // a nil or zero *conn.Conn, which conn's calls do not check
	}
	m := &Mirror{
		c: c, key: key, end: end, page: r.pageSize(),
		watch: r.withoutMirrorOptions(),
		done:  make(chan struct{}),
		subs:  make(map[*subscriber]struct{}),
	}
	kvs, rev, err := m.list(ctx)
	if err != nil {
		return nil, err
	}
	m.kvs, m.rev = kvs, rev
	mctx, stop := context.WithCancelCause(ctx)
	w, err := Open(mctx, c, m.watch.WithStartRevision(rev+1))
	if err != nil {
		stop(nil)
		return nil, err
	}
	m.stopCtx = stop
	m.wg.Add(1)
	go m.run(mctx, w)
	return m, nil
}

// withoutMirrorOptions is r as a watch request for the mirror's watches.
func (r Request) withoutMirrorOptions() Request {
	r.set &^= optPageSize
	r.page = 0
	return r
}

// Get returns the mirror's copy of key.
func (m *Mirror) Get(key string) (conn.KeyValue, bool) {
	if !m.made() {
		return conn.KeyValue{}, false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	kv, ok := m.kvs[key]
	return kv, ok
}

// List returns the mirror's keys sorted by key, and the revision they are
// current at.
func (m *Mirror) List() ([]conn.KeyValue, int64) {
	if !m.made() {
		return nil, 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return sortedKVs(m.kvs), m.rev
}

// Len returns the number of keys in the mirror.
func (m *Mirror) Len() int {
	if !m.made() {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.kvs)
}

// Revision returns the revision the mirror is current at.
func (m *Mirror) Revision() int64 {
	if !m.made() {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.rev
}

// Done is closed when the mirror has ended.
func (m *Mirror) Done() <-chan struct{} {
	if !m.made() {
		return connx.Closed()
	}
	return m.done
}

// made says whether OpenMirror made m.
func (m *Mirror) made() bool { return m != nil && m.done != nil }

// Err returns why the mirror ended (an *Error), or nil while it runs.
func (m *Mirror) Err() error {
	if !m.made() {
		return notStarted()
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.err
}

// Close ends the mirror and waits for its goroutine; Err then reports
// ErrClosed. The copy stays readable. Closing an ended mirror does
// nothing. It always returns nil.
func (m *Mirror) Close() error {
	if !m.made() {
		return nil
	}
	m.stopCtx(ErrClosed)
	m.wg.Wait()
	return nil
}

// Changes iterates over the mirror's updates: first an Initial update with
// the whole copy, then every update from then on, in order. When the mirror
// ends, the last pair holds its final error. Several loops may run at
// once; leaving one early does not end the mirror.
func (m *Mirror) Changes() iter.Seq2[Update, error] {
	return func(yield func(Update, error) bool) {
		if !m.made() {
			yield(Update{}, notStarted())
			return
		}
		sub := &subscriber{ch: make(chan Update, subscriberBuffer), gone: make(chan struct{})}
		m.mu.Lock()
		first := Update{Kind: Initial, Revision: m.rev, Events: make([]Event, 0, len(m.kvs))}
		for _, kv := range sortedKVs(m.kvs) {
			first.Events = append(first.Events, Event{Type: Put, KV: kv})
		}
		ended := m.err
		if ended == nil {
			m.subs[sub] = struct{}{}
		}
		m.mu.Unlock()
		defer func() {
			close(sub.gone)
			m.mu.Lock()
			delete(m.subs, sub)
			m.mu.Unlock()
		}()
		if !yield(first, nil) {
			return
		}
		if ended != nil {
			yield(Update{}, ended)
			return
		}
		for {
			select {
			case u := <-sub.ch:
				if !yield(u, nil) {
					return
				}
			case <-m.done:
				for {
					select {
					case u := <-sub.ch:
						if !yield(u, nil) {
							return
						}
					default:
						yield(Update{}, m.Err())
						return
					}
				}
			}
		}
	}
}

// run applies the watch's responses until the mirror ends, re-listing when
// the watch cannot go on.
func (m *Mirror) run(ctx context.Context, w *Watcher) {
	defer m.wg.Done()
	for {
		resp, err := w.Next(ctx)
		if err == nil {
			m.apply(ctx, resp)
			continue
		}
		w.Close()
		if ctx.Err() != nil || !resyncable(err) {
			m.finish(ctx, err)
			return
		}
		if w = m.resync(ctx); w == nil {
			return
		}
	}
}

// resyncable says whether a watch end calls for a re-list rather than the
// end of the mirror.
func resyncable(err error) bool {
	return errors.Is(err, conn.ErrCompacted) || errors.Is(err, conn.ErrWatchCanceled)
}

// finish ends the mirror.
func (m *Mirror) finish(ctx context.Context, err error) {
	if ctx.Err() != nil {
		cause := ctx.Err()
		if context.Cause(ctx) == ErrClosed {
			cause = ErrClosed
		}
		err = &Error{Cause: cause, Next: m.Revision() + 1}
	} else if _, ok := err.(*Error); !ok {
		err = &Error{Cause: err, Next: m.Revision() + 1}
	}
	m.mu.Lock()
	m.err = err
	m.mu.Unlock()
	close(m.done)
}

// apply applies one response to the copy and hands it to the Changes
// loops.
func (m *Mirror) apply(ctx context.Context, r Response) {
	m.mu.Lock()
	if len(r.Events) == 0 {
		if r.Progress && r.Header.Revision > m.rev {
			m.rev = r.Header.Revision
		}
		m.mu.Unlock()
		return
	}
	events := make([]Event, len(r.Events))
	for i, ev := range r.Events {
		k := string(ev.KV.Key)
		ev.PrevKV = nil
		if prev, ok := m.kvs[k]; ok {
			ev.PrevKV = &prev
		}
		if ev.Type == Put {
			m.kvs[k] = ev.KV
		} else {
			delete(m.kvs, k)
		}
		events[i] = ev
	}
	m.rev = r.Revision()
	subs := m.subscribers()
	m.mu.Unlock()
	m.publish(ctx, subs, Update{Kind: Change, Revision: r.Revision(), Events: events})
}

// subscribers returns the Changes loops to hand the update just applied;
// a loop that starts after it sees the update in its Initial copy.
func (m *Mirror) subscribers() []*subscriber {
	if len(m.subs) == 0 {
		return nil
	}
	return slices.Collect(maps.Keys(m.subs))
}

func (m *Mirror) publish(ctx context.Context, subs []*subscriber, u Update) {
	for _, s := range subs {
		select {
		case s.ch <- u:
		case <-s.gone:
		case <-ctx.Done():
			return
		}
	}
}

// resync lists the range again until it succeeds, reports the differences
// and returns the watch that carries on from the new revision; nil when the
// mirror ended instead.
func (m *Mirror) resync(ctx context.Context) *Watcher {
	var backoff time.Duration
	for {
		kvs, rev, err := m.list(ctx)
		if err == nil {
			w, err := Open(ctx, m.c, m.watch.WithStartRevision(rev+1))
			if err != nil {
				m.finish(ctx, err)
				return nil
			}
			m.mu.Lock()
			events := diff(m.kvs, kvs, rev)
			m.kvs, m.rev = kvs, rev
			subs := m.subscribers()
			m.mu.Unlock()
			m.publish(ctx, subs, Update{Kind: Resync, Revision: rev, Events: events})
			return w
		}
		if ctx.Err() != nil || errors.Is(err, conn.ErrClosed) || errors.Is(err, conn.ErrPermissionDenied) || errors.Is(err, kv.ErrInvalidRequest) {
			m.finish(ctx, &Error{Cause: err, Next: m.Revision() + 1})
			return nil
		}
		backoff = min(max(2*backoff, backoffBase), backoffMax)
		t := time.NewTimer(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			m.finish(ctx, nil)
			return nil
		}
	}
}

// list reads the range in pages at one revision.
func (m *Mirror) list(ctx context.Context) (map[string]conn.KeyValue, int64, error) {
restart:
	kvs := make(map[string]conn.KeyValue)
	var rev int64
	start := m.key
	for {
		req := kv.New().WithKey(start)
		if m.end != "" {
			req = req.WithRangeEnd(m.end).WithLimit(m.page)
		}
		if rev > 0 {
			req = req.WithRev(rev)
		}
		resp, err := m.c.Get(ctx, req)
		if err != nil {
			if rev > 0 && errors.Is(err, conn.ErrCompacted) {
				goto restart // compacted between two pages
			}
			return nil, 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.KVs {
			kvs[string(kv.Key)] = kv
		}
		if m.end == "" || !resp.More || len(resp.KVs) == 0 {
			return kvs, rev, nil
		}
		start = string(resp.KVs[len(resp.KVs)-1].Key) + "\x00"
	}
}

// diff returns the events that turn before into after, sorted by key.
func diff(before, after map[string]conn.KeyValue, rev int64) []Event {
	var out []Event
	for k, a := range after {
		b, ok := before[k]
		switch {
		case !ok:
			out = append(out, Event{Type: Put, KV: a})
		case b.ModRevision != a.ModRevision:
			out = append(out, Event{Type: Put, KV: a, PrevKV: &b})
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			out = append(out, Event{Type: Delete, KV: conn.KeyValue{Key: b.Key, ModRevision: rev}, PrevKV: &b})
		}
	}
	slices.SortFunc(out, func(x, y Event) int { return cmp.Compare(string(x.KV.Key), string(y.KV.Key)) })
	return out
}

func sortedKVs(m map[string]conn.KeyValue) []conn.KeyValue {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(x, y conn.KeyValue) int { return cmp.Compare(string(x.Key), string(y.Key)) })
	return out
}
