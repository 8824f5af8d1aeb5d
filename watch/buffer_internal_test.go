package watch

import (
	"slices"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/getcd/getcd/conn"
)

// closedGroup is a group whose mux refuses commands, so that a Watcher's
// buffer can be exercised without a stream.
func closedGroup() *group {
	m := newMux(nil)
	m.closed = true
	return m.groups[0]
}

func eventsAt(revs ...int64) []Event {
	out := make([]Event, len(revs))
	for i, r := range revs {
		out[i] = Event{KV: conn.KeyValue{Key: []byte("k"), ModRevision: r}}
	}
	return out
}

// TestBufferPolicy checks the pause policy: the buffer reports full at its
// size, the consumer asks for a resume once it has taken three quarters,
// and only once.
func TestBufferPolicy(t *testing.T) {
	w := newWatcher(closedGroup(), &pb.WatchCreateRequest{}, Key("k").WithBuffer(8))
	next := int64(1)
	push := func(n int) bool {
		revs := make([]int64, n)
		for i := range revs {
			revs[i] = next
			next++
		}
		return w.push(Response{Events: eventsAt(revs...), from: revs[0], next: next})
	}
	for i := range 3 {
		if push(2) {
			t.Fatalf("full after %d events", 2*(i+1))
		}
	}
	if !push(2) {
		t.Fatal("not full at 8 events")
	}
	if !w.paused {
		t.Fatal("not paused")
	}
	var resumes int
	for range 4 {
		w.mu.Lock()
		_, resume := w.popLocked()
		w.mu.Unlock()
		if resume {
			resumes++
			if w.queued > w.low {
				t.Errorf("resume asked with %d events buffered, low water %d", w.queued, w.low)
			}
		}
	}
	if resumes != 1 {
		t.Errorf("%d resumes asked, want 1", resumes)
	}
}

// TestProgressMerged checks that consecutive progress notifications take
// one buffer slot.
func TestProgressMerged(t *testing.T) {
	w := newWatcher(closedGroup(), &pb.WatchCreateRequest{}, Key("k").WithBuffer(4))
	for rev := int64(10); rev < 100; rev++ {
		if w.push(Response{Header: conn.Header{Revision: rev}, Progress: true, from: rev, next: rev + 1}) {
			t.Fatalf("full at progress %d", rev)
		}
	}
	if len(w.queue) != 1 || w.queue[0].Header.Revision != 99 || w.queued != 1 {
		t.Fatalf("queue %+v, cost %d; want one notification at 99", w.queue, w.queued)
	}
}

// TestEndByUserNext checks the revision a closed watch reports: the first
// one the consumer has not received.
func TestEndByUserNext(t *testing.T) {
	w := newWatcher(closedGroup(), &pb.WatchCreateRequest{}, Key("k"))
	w.push(Response{Events: eventsAt(5), from: 5, next: 6})
	w.push(Response{Events: eventsAt(9), from: 6, next: 10})
	if _, err := w.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.Close()
	e, ok := w.Err().(*Error)
	if !ok || e.Next != 6 || e.Cause != ErrClosed {
		t.Fatalf("Err() = %v, want Next 6 and ErrClosed", w.Err())
	}
	if _, err := w.Next(t.Context()); err != w.Err() {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestConvertEvents checks the conversion and the dropping of revisions
// already delivered.
func TestConvertEvents(t *testing.T) {
	evs := []*mvccpb.Event{
		{Type: mvccpb.Event_PUT, Kv: &mvccpb.KeyValue{Key: []byte("a"), ModRevision: 4, CreateRevision: 4}},
		{Type: mvccpb.Event_PUT, Kv: &mvccpb.KeyValue{Key: []byte("a"), ModRevision: 5, CreateRevision: 4}, PrevKv: &mvccpb.KeyValue{Key: []byte("a"), Value: []byte("old")}},
		{Type: mvccpb.Event_DELETE, Kv: &mvccpb.KeyValue{Key: []byte("b"), ModRevision: 5}},
	}
	got := convertEvents(evs, 5)
	if len(got) != 2 || got[0].Type != Put || got[1].Type != Delete || got[0].PrevKV == nil ||
		string(got[0].PrevKV.Value) != "old" || got[1].PrevKV != nil || !got[0].IsModify() || got[0].IsCreate() {
		t.Fatalf("convertEvents = %+v", got)
	}
	if got := convertEvents(evs, 6); got != nil {
		t.Errorf("everything delivered, got %+v", got)
	}
	if all := convertEvents(evs, 0); len(all) != 3 || !all[0].IsCreate() {
		t.Errorf("convertEvents from 0 = %+v", all)
	}
}

// TestEventsResume checks that leaving an Events loop in the middle of a
// response keeps the rest for the next loop.
func TestEventsResume(t *testing.T) {
	w := newWatcher(closedGroup(), &pb.WatchCreateRequest{}, Key("k"))
	w.push(Response{Events: eventsAt(3, 3, 4), from: 3, next: 5})
	w.push(Response{Events: eventsAt(7), from: 5, next: 8})
	var got []int64
	for ev, err := range w.Events() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.KV.ModRevision)
		break
	}
	w.end(&Error{Cause: ErrClosed, Next: 8})
	for ev, err := range w.Events() {
		if err != nil {
			break
		}
		got = append(got, ev.KV.ModRevision)
	}
	if want := []int64{3, 3, 4, 7}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}
