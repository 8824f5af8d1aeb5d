package kv

import "time"

// Request is an immutable description of one key-value request. The zero
// value (or New()) is an empty request; every With method returns a new
// Request and never changes its receiver, so a base Request may be shared
// freely, including across goroutines.
//
// A Request records intent, not protobuf fields: WithPrefix, WithFromKey,
// WithRangeEnd and WithAll say what range is wanted and the range end is
// computed when the request is compiled, so the order of options never
// matters. Validation happens at compile time (RangeRequest, PutRequest,
// DeleteRequest, CompactRequest); an invalid request yields an error that
// matches ErrInvalidRequest and names the field, and nothing is sent.
type Request struct {
	conn    string
	timeout time.Duration
	key     string
	end     string
	value   string
	set     option

	limit      int64
	rev        int64
	minMod     int64
	maxMod     int64
	minCreate  int64
	maxCreate  int64
	lease      int64
	sortTarget SortTarget
	sortOrder  SortOrder
}

// New returns an empty request. It is the starting point of every chain:
//
//	kv.New().WithKey("config/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend)
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it is
// meant to run on (eetcd's new(Name)). The registry runs such a request on the
// connection registered under that name.
func On(conn string) Request { return Request{conn: conn} }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// WithTimeout sets a per-request timeout. It bounds the call in addition to
// the caller's context; the earlier deadline wins. Zero means no
// per-request timeout; a negative value is invalid.
func (r Request) WithTimeout(d time.Duration) Request {
	r.timeout = d
	r.set |= optTimeout
	return r
}

// WithNoCoalesce keeps the request out of the batches of a connection that
// coalesces concurrent requests (conn.Config.Coalescing): it is sent on its
// own, with a header and revision of its own. It changes nothing on a
// connection that does not coalesce, and is accepted by ranges, puts and
// deletes only.
func (r Request) WithNoCoalesce() Request { r.set |= optNoCoalesce; return r }

// NoCoalesce says whether WithNoCoalesce was given.
func (r Request) NoCoalesce() bool { return r.set&optNoCoalesce != 0 }

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// Timeout returns the per-request timeout, or 0 when none is set.
func (r Request) Timeout() time.Duration { return r.timeout }

// Key returns the key the request was given.
func (r Request) Key() string { return r.key }

// WithKey sets the key. For a range or delete it is the first key of the
// range; with WithPrefix it is the prefix.
func (r Request) WithKey(key string) Request {
	r.key = key
	r.set |= optKey
	return r
}

// WithKeyBytes is WithKey for a byte slice. The bytes are copied, so the
// caller may reuse the slice.
func (r Request) WithKeyBytes(key []byte) Request { return r.WithKey(string(key)) }

// WithValue sets the value of a put.
func (r Request) WithValue(value string) Request {
	r.value = value
	r.set |= optValue
	return r
}

// WithValueBytes is WithValue for a byte slice. The bytes are copied, so the
// caller may reuse the slice.
func (r Request) WithValueBytes(value []byte) Request { return r.WithValue(string(value)) }

// WithPrefix makes a range or delete cover every key that starts with the
// key. With an empty key it covers every key, as etcd does.
func (r Request) WithPrefix() Request { r.set |= optPrefix; return r }

// WithFromKey makes a range or delete cover every key greater than or equal
// to the key (range_end "\x00").
func (r Request) WithFromKey() Request { r.set |= optFromKey; return r }

// WithRangeEnd makes a range or delete cover [key, end).
func (r Request) WithRangeEnd(end string) Request {
	r.end = end
	r.set |= optRangeEnd
	return r
}

// WithAll makes a range or delete cover every key in the store. It takes
// no key.
func (r Request) WithAll() Request { r.set |= optAll; return r }

// WithLimit caps the number of keys a range returns. Zero means no limit.
// Like [github.com/getcd/getcd/op.Txn.WithMaxOps] it takes an int, as counts do in Go; revisions and
// lease IDs are int64, as in etcd's messages.
func (r Request) WithLimit(n int) Request {
	r.limit = int64(n)
	r.set |= optLimit
	return r
}

// WithRev reads at the given revision (range) or compacts up to it
// (compact). Zero for a range means the newest revision.
func (r Request) WithRev(rev int64) Request {
	r.rev = rev
	r.set |= optRev
	return r
}

// WithSerializable serves a range from the local member without consensus:
// faster, possibly stale.
func (r Request) WithSerializable() Request { r.set |= optSerializable; return r }

// WithKeysOnly returns keys without values.
func (r Request) WithKeysOnly() Request { r.set |= optKeysOnly; return r }

// WithCountOnly returns only the number of keys in the range.
func (r Request) WithCountOnly() Request { r.set |= optCountOnly; return r }

// WithMinModRev keeps keys whose mod revision is at least rev.
func (r Request) WithMinModRev(rev int64) Request {
	r.minMod = rev
	r.set |= optMinMod
	return r
}

// WithMaxModRev keeps keys whose mod revision is at most rev.
func (r Request) WithMaxModRev(rev int64) Request {
	r.maxMod = rev
	r.set |= optMaxMod
	return r
}

// WithMinCreateRev keeps keys whose create revision is at least rev.
func (r Request) WithMinCreateRev(rev int64) Request {
	r.minCreate = rev
	r.set |= optMinCreate
	return r
}

// WithMaxCreateRev keeps keys whose create revision is at most rev.
func (r Request) WithMaxCreateRev(rev int64) Request {
	r.maxCreate = rev
	r.set |= optMaxCreate
	return r
}

// WithPrevKV asks a put or delete to return the key-value pairs as they were
// before the change.
func (r Request) WithPrevKV() Request { r.set |= optPrevKV; return r }

// WithLease attaches a put's key to a lease. Zero means no lease.
func (r Request) WithLease(id int64) Request {
	r.lease = id
	r.set |= optLease
	return r
}

// WithIgnoreValue makes a put keep the key's current value (it updates the
// lease only). It cannot be combined with WithValue.
func (r Request) WithIgnoreValue() Request { r.set |= optIgnoreValue; return r }

// WithIgnoreLease makes a put keep the key's current lease. It cannot be
// combined with WithLease.
func (r Request) WithIgnoreLease() Request { r.set |= optIgnoreLease; return r }

// WithPhysical makes a compaction wait until the compacted entries are
// physically removed from the backend.
func (r Request) WithPhysical() Request { r.set |= optPhysical; return r }
