package watch

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/getcd/getcd/conn"
)

// EventType says whether an event put or deleted a key.
type EventType int8

// Event types.
const (
	Put    EventType = iota // the key was created or changed
	Delete                  // the key was deleted
)

func (t EventType) String() string {
	switch t {
	case Put:
		return "PUT"
	case Delete:
		return "DELETE"
	}
	return "EventType(" + itoa(int64(t)) + ")"
}

// Event is one change of one key.
type Event struct {
	Type EventType
	// KV is the key after the change. For a delete it holds the key and the
	// revision of the delete (ModRevision), no value.
	KV conn.KeyValue
	// PrevKV is the key before the change, with WithPrevKV when the key
	// existed and that revision is not compacted; otherwise nil.
	PrevKV *conn.KeyValue
}

// IsCreate reports whether the event created the key.
func (e Event) IsCreate() bool { return e.Type == Put && e.KV.CreateRevision == e.KV.ModRevision }

// IsModify reports whether the event changed a key that existed.
func (e Event) IsModify() bool { return e.Type == Put && e.KV.CreateRevision != e.KV.ModRevision }

// Response is what a watch delivers: the events of one or more whole
// revisions (a transaction's changes are never split), or a notification.
type Response struct {
	Header conn.Header
	// Events in revision order. Empty for notifications.
	Events []Event
	// Created marks the notification of WithCreatedNotify: the server
	// created the watch at Header.Revision.
	Created bool
	// Progress marks a progress notification (WithProgressNotify or
	// RequestProgress): every event up to Header.Revision has been
	// delivered.
	Progress bool

	from, next int64 // the watch's next revision before and after this response
}

// Revision is the revision the response brings the watch to: the last
// event's revision, or the header's for a notification.
func (r Response) Revision() int64 {
	if n := len(r.Events); n > 0 {
		return r.Events[n-1].KV.ModRevision
	}
	return r.Header.Revision
}

// cost is what the response counts against the buffer.
func (r Response) cost() int { return max(1, len(r.Events)) }

// convertEvents turns etcd's events into Events, dropping those below next
// (already delivered). It returns nil when none is left.
func convertEvents(evs []*mvccpb.Event, next int64) []Event {
	skip := 0
	for skip < len(evs) && evs[skip].Kv != nil && evs[skip].Kv.ModRevision < next {
		skip++
	}
	evs = evs[skip:]
	if len(evs) == 0 {
		return nil
	}
	out := make([]Event, len(evs))
	var prevs []conn.KeyValue
	for i, ev := range evs {
		out[i] = Event{KV: conn.KeyValueOf(ev.Kv)}
		if ev.Type == mvccpb.Event_DELETE {
			out[i].Type = Delete
		}
		if ev.PrevKv != nil {
			if prevs == nil {
				prevs = make([]conn.KeyValue, 0, len(evs)-i)
			}
			prevs = append(prevs, conn.KeyValueOf(ev.PrevKv))
			out[i].PrevKV = &prevs[len(prevs)-1]
		}
	}
	return out
}

// header converts a response header.
func header(h *pb.ResponseHeader) conn.Header { return conn.HeaderOf(h) }
