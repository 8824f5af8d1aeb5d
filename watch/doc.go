// Package watch watches keys of etcd: a fluent, immutable request builder
// in the style of eetcd's eetcd_watch, watches that share one stream per
// connection and survive faults without losing or repeating an event, and
// a Mirror that keeps a local copy of a range of keys.
//
//	w, err := watch.Open(ctx, c, watch.Prefix("config/").WithPrevKV())
//	if err != nil {
//		return err // invalid request, closed connection, or refused by the server
//	}
//	// The watch is in place: every change from here on is delivered.
//	defer w.Close()
//	for ev, err := range w.Events() {
//		if err != nil {
//			return err // why the watch ended; see Error
//		}
//		fmt.Printf("%s %s\n", ev.Type, ev.KV.Key)
//	}
//
// # Requests
//
// A Request says which keys to watch (WithKey, WithPrefix, WithFromKey,
// WithRangeEnd, WithAll) and how (WithStartRevision, WithFilterPut,
// WithFilterDelete, WithPrevKV, WithWatchID, WithFragment,
// WithProgressNotify, WithCreatedNotify, WithoutRequireLeader, WithBuffer).
// It compiles to a *pb.WatchCreateRequest (CreateRequest); an invalid
// combination, such as two range options, a negative revision or both
// filters, is a *kv.FieldError that matches kv.ErrInvalidRequest and names
// the field. Open and OpenMirror have the shape registry.Call runs by the
// connection name the request carries (On, WithConn).
//
// # One stream per connection
//
// Every watch of a connection travels on one gRPC watch stream, opened when
// the first watch starts and closed when the last one ends or the
// connection closes; watches that opt out of the leader requirement share a
// second one. Closing a watch sends a cancel request for it alone. The
// stream is owned by one goroutine per connection (with a reader and a
// writer beside it); all three end when the stream closes. Each stream goes
// through these states:
//
//   - connecting: the stream is being opened, waiting for a ready endpoint;
//     watches wait, as does RequestProgress;
//   - active: create requests are answered and events flow;
//   - resuming: the stream failed (endpoint down, member restarted, leader
//     lost, auth token expired); a new stream is opened, on any endpoint, at
//     once if the old one had worked or after re-authenticating, otherwise
//     after a backoff of 50 ms doubling to 2 s, and every watch is created
//     again from its next revision (the connection's logger says so);
//   - closed: the last watch ended or the connection closed.
//
// # Exactly once, in order
//
// Each watch tracks its next revision: one past the last revision it
// received, or past the revision of a progress notification (which says
// every earlier event was sent). When a watch is created again, it starts
// from that revision, with its filters and prev_kv, so no event is
// delivered twice and none is skipped; events below it are dropped should
// the server repeat them. A Response always holds whole revisions: a
// transaction's events are never split, and fragments (WithFragment) are
// delivered as the revisions in them complete. If the next revision was compacted in the
// meantime, the watch ends with an error matching conn.ErrCompacted that
// carries the compact revision.
//
// # Leader required
//
// By default a watch requires its member to have a leader (etcd's
// "hasleader" metadata): a member cut off from the cluster closes the
// stream, and the watch resumes on a member that has one, instead of
// stalling silently. WithoutRequireLeader opts out, for a watch that
// prefers a possibly stale member to none.
//
// # Bounded buffers
//
// Each watch buffers what its consumer has not taken yet, up to WithBuffer
// events (DefaultBuffer; a response without events counts as one,
// consecutive progress notifications are merged, and a revision is never
// split, so the buffer may exceed its size by one server message). When the
// buffer is full, that watch alone is paused: a cancel request takes it off
// the server, and whatever the server had already sent for it is dropped.
// When the consumer has taken three quarters of the buffer, the watch is
// created again from its next revision, asking the server for fragments
// (see WithFragment). The shared stream is never blocked by a slow
// consumer, memory stays bounded, and nothing is lost: a paused watch
// receives the events it missed when it resumes (or ends with a compaction
// error if they were compacted meanwhile).
//
// While a paused watch is stopped, it holds its buffer and nothing more.
// While it catches up, the server sends what it missed in messages of up to
// 1,000 revisions; etcd fragments them, except the part it gathered before
// it confirmed the re-created watch, which it sends whole. So a consumer
// that catches up on large transactions briefly holds one such message in
// memory besides its buffer; a larger WithBuffer means fewer pauses and so
// fewer catch-ups.
//
// # Ends
//
// A watch is read with Next, or with the iterators Responses and Events.
// It ends when the context given to Open ends, when Close is called, when
// the connection closes or when the server ends it; every end is an *Error
// that says why (see Error) and at which revision a new watch would carry
// on. Nothing needs to be drained: responses wait in the buffer until the
// watch ends, and a watch ended by its owner drops them.
//
// # Mirror
//
// OpenMirror lists a range of keys (in pages, at one revision), then
// watches it from the next revision and keeps a local map and its revision
// current. When its watch cannot go on (compacted while it was behind), it
// lists the range again and reports the differences as a Resync update
// instead of failing. Changes iterates over its updates, starting with the
// whole copy.
package watch
