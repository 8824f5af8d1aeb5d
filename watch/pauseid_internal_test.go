package watch

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/getcd/getcd/internal/wire"
)

// TestPausedOwnIDResume drives a stream's owner through the pause of a
// watch with its own ID (WithWatchID) and its creation again, with what
// etcd sends then: after the created response, the events its cancelled
// watcher had queued under that ID (etcd keeps them for the next watch of
// the ID), then the catch-up from the watch's next revision. Every event
// must be delivered once, in order: the queued ones must not make the watch
// skip the catch-up.
func TestPausedOwnIDResume(t *testing.T) {
	g := closedGroup()
	sess := &session{g: g, wake: make(chan struct{}, 1)}
	l := &loop{g: g, watches: make(map[*Watcher]*wstate), byID: make(map[int64]*wstate), sess: sess}
	r := Key("k").WithWatchID(7).WithBuffer(4)
	tmpl, err := r.compile(wire.Alias)
	if err != nil {
		t.Fatal(err)
	}
	w := newWatcher(g, tmpl, r)
	l.command(command{kind: cmdAdd, w: w})
	created := func() {
		t.Helper()
		q := sess.queue[len(sess.queue)-1].GetCreateRequest()
		if q == nil {
			t.Fatalf("last request %v, want a create request", sess.queue[len(sess.queue)-1])
		}
		l.onResponse(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: 9}, WatchId: q.WatchId, Created: true})
	}
	event := func(id, rev int64) {
		l.onResponse(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: rev}, WatchId: id,
			Events: []*mvccpb.Event{{Kv: &mvccpb.KeyValue{Key: []byte("k"), ModRevision: rev}}}})
	}
	created()
	for rev := int64(10); rev < 14; rev++ { // fills the buffer: the watch pauses
		event(7, rev)
	}
	if l.watches[w].state != paused {
		t.Fatal("the watch did not pause")
	}
	// The old watcher had sent 14 and 15 (dropped while paused) and had
	// queued 16 when the cancel request reached the server.
	event(7, 14)
	event(7, 15)
	var got []int64
	take := func() {
		for {
			w.mu.Lock()
			if w.head == len(w.queue) {
				w.mu.Unlock()
				return
			}
			resp, resume := w.popLocked()
			w.mu.Unlock()
			for _, ev := range resp.Events {
				got = append(got, ev.KV.ModRevision)
			}
			if resume {
				l.command(command{kind: cmdResume, w: w})
			}
		}
	}
	take()
	created()
	event(7, 16)                            // queued by the cancelled watcher
	id := l.watches[w].id                   // the watch's ID now
	for rev := int64(14); rev < 17; rev++ { // the catch-up
		event(id, rev)
	}
	take()
	for i, rev := range got {
		if rev != int64(10+i) {
			t.Fatalf("revisions delivered %v, want 10 to 16 each once", got)
		}
	}
	if len(got) != 7 {
		t.Fatalf("revisions delivered %v, want 10 to 16 each once", got)
	}
}

// TestClosedOwnIDReused opens a watch with the ID of one closed on the same
// stream: etcd sends it, under that ID, the events the closed watch's
// watcher had queued. They belong to another key and must not reach it.
func TestClosedOwnIDReused(t *testing.T) {
	g := closedGroup()
	sess := &session{g: g, wake: make(chan struct{}, 1)}
	l := &loop{g: g, watches: make(map[*Watcher]*wstate), byID: make(map[int64]*wstate), sess: sess}
	add := func(r Request) *Watcher {
		t.Helper()
		tmpl, err := r.compile(wire.Alias)
		if err != nil {
			t.Fatal(err)
		}
		w := newWatcher(g, tmpl, r)
		l.command(command{kind: cmdAdd, w: w})
		q := sess.queue[len(sess.queue)-1].GetCreateRequest()
		l.onResponse(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: 30}, WatchId: q.WatchId, Created: true})
		return w
	}
	add(Key("other")) // keeps the stream open
	closed := add(Key("a").WithWatchID(7))
	closed.dropped = true
	l.command(command{kind: cmdRemove, w: closed})
	w := add(Key("b").WithWatchID(7).WithStartRevision(5))
	// Queued for the closed watch before its cancel request arrived.
	l.onResponse(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: 30}, WatchId: 7,
		Events: []*mvccpb.Event{{Kv: &mvccpb.KeyValue{Key: []byte("a"), ModRevision: 20}}}})
	// The new watch's own.
	l.onResponse(&pb.WatchResponse{Header: &pb.ResponseHeader{Revision: 30}, WatchId: l.watches[w].id,
		Events: []*mvccpb.Event{{Kv: &mvccpb.KeyValue{Key: []byte("b"), ModRevision: 6}}}})
	w.mu.Lock()
	defer w.mu.Unlock()
	var got []string
	for _, r := range w.queue[w.head:] {
		for _, ev := range r.Events {
			got = append(got, string(ev.KV.Key)+"@"+itoa(ev.KV.ModRevision))
		}
	}
	if len(got) != 1 || got[0] != "b@6" {
		t.Fatalf("the watch of b received %v, want [b@6]", got)
	}
}
