package watch

// Request is an immutable description of one watch, or of a mirror of a
// range of keys. The zero value (or New()) is an empty request; every With
// method returns a new Request and never changes its receiver, so a base
// Request may be shared freely, including across goroutines.
//
// A Request records intent: WithPrefix, WithFromKey, WithRangeEnd and
// WithAll say which keys are watched and the range end is computed when the
// request is compiled, so the order of options never matters. Validation
// happens when the request is compiled (CreateRequest, Open, OpenMirror);
// an invalid request yields a *kv.FieldError that matches
// kv.ErrInvalidRequest and names the field, and nothing is sent.
//
// The options map one to one to eetcd's eetcd_watch builders: with_key is
// WithKey, with_range_end WithRangeEnd, with_prefix WithPrefix, with_from_key
// WithFromKey, with_start_revision WithStartRevision, with_filter_put
// WithFilterPut, with_filter_delete WithFilterDelete, with_prev_kv
// WithPrevKV, with_watch_id WithWatchID, with_fragment WithFragment and
// with_progress_notify WithProgressNotify; new(Name) is On(name). WithAll,
// WithCreatedNotify, WithoutRequireLeader, WithBuffer and WithPageSize are
// getcd's own.
type Request struct {
	conn   string
	key    string
	end    string
	set    option
	rev    int64
	id     int64
	buffer int
	page   int
}

// New returns an empty request, the start of every chain:
//
//	watch.New().WithKey("config/").WithPrefix().WithPrevKV()
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it is
// meant to run on, for registry.Call (eetcd's new(Name)).
func On(conn string) Request { return Request{conn: conn} }

// Key returns a request that watches one key.
func Key(key string) Request { return Request{}.WithKey(key) }

// Prefix returns a request that watches every key starting with prefix
// (every key when prefix is empty).
func Prefix(prefix string) Request { return Request{}.WithKey(prefix).WithPrefix() }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// On is WithConn, for chains that start with Key or Prefix:
//
//	registry.Call(ctx, watch.Open, watch.Prefix("config/").On("main"))
func (r Request) On(name string) Request { r.conn = name; return r }

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// WithKey sets the key; with WithPrefix it is the prefix, with WithFromKey
// or WithRangeEnd the first key of the range.
func (r Request) WithKey(key string) Request {
	r.key = key
	r.set |= optKey
	return r
}

// WithKeyBytes is WithKey for a byte slice, which is copied.
func (r Request) WithKeyBytes(key []byte) Request { return r.WithKey(string(key)) }

// WithPrefix watches every key that starts with the key; with an empty key,
// every key.
func (r Request) WithPrefix() Request { r.set |= optPrefix; return r }

// WithFromKey watches every key greater than or equal to the key
// (range_end "\x00").
func (r Request) WithFromKey() Request { r.set |= optFromKey; return r }

// WithRangeEnd watches [key, end).
func (r Request) WithRangeEnd(end string) Request {
	r.end = end
	r.set |= optRangeEnd
	return r
}

// WithAll watches every key. It takes no key.
func (r Request) WithAll() Request { r.set |= optAll; return r }

// WithStartRevision starts the watch at rev (inclusive), so that past
// events are delivered too. Zero, the default, means the revision after the
// current one when the server creates the watch. A revision that has been
// compacted ends the watch with an error matching conn.ErrCompacted.
func (r Request) WithStartRevision(rev int64) Request {
	r.rev = rev
	r.set |= optStartRev
	return r
}

// WithFilterPut drops put events on the server (etcd's NOPUT filter): only
// deletes are delivered.
func (r Request) WithFilterPut() Request { r.set |= optFilterPut; return r }

// WithFilterDelete drops delete events on the server (etcd's NODELETE
// filter): only puts are delivered.
func (r Request) WithFilterDelete() Request { r.set |= optFilterDelete; return r }

// WithPrevKV asks for the key-value as it was before each event
// (Event.PrevKV). The server leaves it out when that revision has been
// compacted.
func (r Request) WithPrevKV() Request { r.set |= optPrevKV; return r }

// WithWatchID asks the server to give the watch this ID on the stream
// instead of one getcd picks. IDs are per stream: two watches of one
// connection with the same ID conflict and the second one ends with an
// error. Zero means getcd picks. An ID whose watch was cancelled on the
// stream (closed, or paused: see Bounded buffers in the package
// documentation) is not given again on that stream: etcd would send the
// next watch with it the events the cancelled one had queued. A watch
// asking for it, or created again after its pause, gets an ID getcd picks.
func (r Request) WithWatchID(id int64) Request {
	r.id = id
	r.set |= optWatchID
	return r
}

// WithFragment lets the server split a response larger than its request
// size limit (--max-request-bytes plus 512 KiB) into fragments; without
// it, a watch that starts far behind the store (WithStartRevision) may
// receive up to 1,000 revisions in one message. getcd delivers the
// revisions of the fragments as they complete, so a Response still holds
// whole revisions. A watch that getcd creates again (after a pause or a
// stream failure) always asks for fragments. (etcd does not fragment the
// events it gathered for a watch before it confirmed its creation.)
func (r Request) WithFragment() Request { r.set |= optFragment; return r }

// WithProgressNotify asks the server to send a progress notification
// (Response.Progress) when the watch has had no event for a while (ten
// minutes by default, etcd's --experimental-watch-progress-notify-interval).
func (r Request) WithProgressNotify() Request { r.set |= optProgressNotify; return r }

// WithCreatedNotify delivers a Response with Created set once the server
// has created the watch, before any event. Its header revision is the
// store's revision at creation. It is delivered once, not again when the
// watch is resumed on another stream.
func (r Request) WithCreatedNotify() Request { r.set |= optCreatedNotify; return r }

// WithoutRequireLeader lets the watch stay on a member that has lost its
// leader. By default a watch requires a leader: a member that cannot see a
// leader closes the stream and the watch resumes on another member, so that
// a partitioned member cannot stall it. Watches without the requirement
// share a second stream of the connection.
func (r Request) WithoutRequireLeader() Request { r.set |= optNoRequireLeader; return r }

// WithBuffer sets how many events (a response without events counts as
// one) the watch holds for its consumer before it pauses; zero means
// DefaultBuffer. See the package documentation for the policy.
func (r Request) WithBuffer(events int) Request {
	r.buffer = events
	r.set |= optBuffer
	return r
}

// WithPageSize sets how many keys a mirror reads per request when it lists
// its range; zero means DefaultPageSize. Only mirrors use it.
func (r Request) WithPageSize(n int) Request {
	r.page = n
	r.set |= optPageSize
	return r
}

// Key returns the key the request was given.
func (r Request) Key() string { return r.key }

// StartRevision returns the revision given to WithStartRevision, or 0.
func (r Request) StartRevision() int64 { return r.rev }

// RequiresLeader reports whether the watch requires a leader (the default).
func (r Request) RequiresLeader() bool { return !r.set.has(optNoRequireLeader) }
