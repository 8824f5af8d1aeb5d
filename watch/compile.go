package watch

import (
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/keys"
	"github.com/getcd/getcd/internal/wire"
)

// Defaults for the zero values of WithBuffer and WithPageSize.
const (
	// DefaultBuffer is how many events a watch holds for its consumer
	// before it pauses.
	DefaultBuffer = 1024
	// DefaultPageSize is how many keys a mirror reads per request.
	DefaultPageSize = 1000
)

// CreateRequest compiles r into a fresh *pb.WatchCreateRequest, the message
// that creates the watch on the server. WithCreatedNotify,
// WithoutRequireLeader and WithBuffer are client-side and appear in no
// field.
func (r Request) CreateRequest() (*pb.WatchCreateRequest, error) {
	return r.compile(wire.Copy)
}

func (r Request) compile(m wire.Mode) (*pb.WatchCreateRequest, error) {
	const kind = "watch"
	if err := r.check(kind, watchOpts); err != nil {
		return nil, err
	}
	key, end, err := r.keyRange(kind, m)
	if err != nil {
		return nil, err
	}
	if r.rev < 0 {
		return nil, errs.Field("watch", kind, "start_revision", errs.Negative(r.rev))
	}
	if r.id < 0 {
		return nil, errs.Field("watch", kind, "watch_id", errs.Negative(r.id))
	}
	var filters []pb.WatchCreateRequest_FilterType
	switch {
	case r.set.has(optFilterPut) && r.set.has(optFilterDelete):
		return nil, errs.Field("watch", kind, "filters", "WithFilterPut and WithFilterDelete together drop every event")
	case r.set.has(optFilterPut):
		filters = []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NOPUT}
	case r.set.has(optFilterDelete):
		filters = []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NODELETE}
	}
	return &pb.WatchCreateRequest{
		Key:            key,
		RangeEnd:       end,
		StartRevision:  r.rev,
		ProgressNotify: r.set.has(optProgressNotify),
		Filters:        filters,
		PrevKv:         r.set.has(optPrevKV),
		WatchId:        r.id,
		Fragment:       r.set.has(optFragment),
	}, nil
}

// compileMirror validates r as a mirror and returns its key and range end
// ("" for a single key).
func (r Request) compileMirror() (key, end string, err error) {
	const kind = "mirror"
	if err := r.check(kind, mirrorOpts); err != nil {
		return "", "", err
	}
	if r.page < 0 {
		return "", "", errs.Field("watch", kind, "page_size", errs.Negative(int64(r.page)))
	}
	k, e, err := r.keyRange(kind, wire.Copy)
	if err != nil {
		return "", "", err
	}
	return string(k), string(e), nil
}

// check rejects options the kind does not use and a negative buffer.
func (r Request) check(kind string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		return errs.Field("watch", kind, extra.first().field(), "not used by a "+kind)
	}
	if r.buffer < 0 {
		return errs.Field("watch", kind, "buffer", errs.Negative(int64(r.buffer)))
	}
	return nil
}

// keyRange turns the recorded range intent into key and range_end bytes; a
// nil end means a single key.
func (r Request) keyRange(kind string, m wire.Mode) (key, end []byte, err error) {
	mode := r.set & rangeMode
	if mode.count() > 1 {
		return nil, nil, errs.Field("watch", kind, "range_end", "only one of WithPrefix, WithFromKey, WithRangeEnd and WithAll may be used, got "+modeNames(mode))
	}
	span := keys.Single
	switch mode {
	case optAll:
		if r.key != "" {
			return nil, nil, errs.Field("watch", kind, "key", "WithAll takes no key; use WithPrefix or WithFromKey to start at a key")
		}
		span = keys.Prefix
	case optPrefix:
		span = keys.Prefix
	case optFromKey:
		span = keys.FromKey
	case optRangeEnd:
		span = keys.Range
	}
	key, end, field, reason := keys.Resolve(span, r.key, r.end, m)
	if field != "" {
		return nil, nil, errs.Field("watch", kind, field, reason)
	}
	return key, end, nil
}

func modeNames(mode option) string {
	s := ""
	for m := mode; m != 0; m &= m - 1 {
		if s != "" {
			s += " and "
		}
		s += m.first().field()
	}
	return s
}

// bufferSize is the effective buffer of a watch.
func (r Request) bufferSize() int {
	if r.buffer == 0 {
		return DefaultBuffer
	}
	return r.buffer
}

// pageSize is the effective page size of a mirror.
func (r Request) pageSize() int {
	if r.page == 0 {
		return DefaultPageSize
	}
	return r.page
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
