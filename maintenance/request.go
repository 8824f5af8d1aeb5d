package maintenance

import (
	"io"
	"time"
)

// Request is an immutable description of one maintenance call. The zero
// value (or New()) is an empty request; every With method returns a new
// Request and leaves its receiver alone, so a base request may be shared,
// also across goroutines.
//
// Which options a call uses (every call also accepts WithConn and
// WithTimeout; any other option is an error naming it, and nothing is
// sent):
//
//	Status, Defragment, Hash   WithEndpoint
//	HashKV                     WithEndpoint, WithRev
//	Alarms, DisarmAll          none
//	Disarm                     WithAlarm (required)
//	MoveLeader                 WithTarget (required), WithEndpoint (the leader's)
//	DowngradeValidate, DowngradeEnable   WithVersion (required)
//	DowngradeCancel            none
//	Snapshot                   WithWriter or WithFile (one is required), WithEndpoint, WithProgress
type Request struct {
	conn     string
	timeout  time.Duration
	endpoint string
	rev      int64
	member   uint64
	alarm    AlarmType
	target   uint64
	version  string
	w        io.Writer
	file     string
	progress func(Progress)
	set      option
}

// New returns an empty request.
func New() Request { return Request{} }

// On returns an empty request that carries the name of the connection it
// is meant to run on, for registry.Call.
func On(conn string) Request { return Request{conn: conn} }

// WithConn sets the name of the connection the request is meant to run on.
func (r Request) WithConn(name string) Request { r.conn = name; return r }

// Conn returns the connection name carried by the request, or "".
func (r Request) Conn() string { return r.conn }

// WithTimeout bounds the call, in addition to the caller's context; the
// earlier deadline wins. Zero means the connection's RequestTimeout for
// unary calls (a Snapshot has no default bound but its context); a
// negative value is invalid.
func (r Request) WithTimeout(d time.Duration) Request {
	r.timeout = d
	r.set |= optTimeout
	return r
}

// Timeout returns the request's own timeout, or 0.
func (r Request) Timeout() time.Duration { return r.timeout }

// WithEndpoint sends the call to one member: its client URL or host:port,
// as Member.ClientURLs lists it ("http://10.0.0.1:2379" or
// "10.0.0.1:2379"). Without it the connection's balancer picks a member.
// It need not be one of the connection's endpoints; see the package
// documentation for the connection used.
func (r Request) WithEndpoint(endpoint string) Request {
	r.endpoint = endpoint
	r.set |= optEndpoint
	return r
}

// WithRev sets the revision HashKV hashes up to; zero means the newest.
func (r Request) WithRev(rev int64) Request { r.rev = rev; r.set |= optRev; return r }

// WithAlarm names the alarm to disarm: the member that raised it and its
// type, as Alarms lists them.
func (r Request) WithAlarm(member uint64, t AlarmType) Request {
	r.member, r.alarm = member, t
	r.set |= optAlarm
	return r
}

// WithTarget names the member MoveLeader hands the leadership to.
func (r Request) WithTarget(member uint64) Request { r.target = member; r.set |= optTarget; return r }

// WithVersion sets the cluster version to downgrade to, major.minor
// ("3.6"), or a semantic version whose patch, pre-release and build etcd
// ignores ("3.6.0", "3.6.0-rc.0"): what etcd itself accepts, and nothing it
// refuses (a number past int64, four numbers) is sent.
func (r Request) WithVersion(v string) Request { r.version = v; r.set |= optVersion; return r }

// WithWriter makes Snapshot stream the snapshot to w. On error w holds an
// incomplete or unverified snapshot that must be discarded.
func (r Request) WithWriter(w io.Writer) Request { r.w = w; r.set |= optWriter; return r }

// WithFile makes Snapshot write the snapshot to the file at path, which
// appears (replacing any file there) only once the whole snapshot arrived
// and its checksum matched; on error no file is left behind. A path that
// names a directory is invalid.
func (r Request) WithFile(path string) Request { r.file = path; r.set |= optFile; return r }

// WithProgress has Snapshot call f after each chunk it wrote, on the
// calling goroutine; f must return quickly.
func (r Request) WithProgress(f func(Progress)) Request {
	r.progress = f
	r.set |= optProgress
	return r
}
