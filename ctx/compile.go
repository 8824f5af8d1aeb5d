package kv

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/keys"
	"github.com/getcd/getcd/internal/wire"
)

// RangeRequest compiles r into a fresh *pb.RangeRequest (the Range RPC).
func (r Request) RangeRequest() (*pb.RangeRequest, error) { return r.rangeRequest(wire.Copy) }

func (r Request) rangeRequest(m wire.Mode) (*pb.RangeRequest, error) {
	f, err := r.rangeFields(m)
	if err != nil {
		return nil, err
	}
	return wire.RangeMessage(&f), nil
}

// rangeFields validates a range and returns its fields.
func (r Request) rangeFields(m wire.Mode) (wire.RangeFields, error) {
	if err := r.check("range", rangeOpts); err != nil {
		return wire.RangeFields{}, err
	}
	key, end, err := r.keyRange("range", m)
	if err != nil {
		return wire.RangeFields{}, err
	}
	for _, f := range [...]struct {
		bit option
		v   int64
	}{{optLimit, r.limit}, {optRev, r.rev}, {optMinMod, r.minMod}, {optMaxMod, r.maxMod}, {optMinCreate, r.minCreate}, {optMaxCreate, r.maxCreate}} {
		if f.v < 0 {
			return wire.RangeFields{}, invalid("range", f.bit.field(), negative(f.v))
		}
	}
	if r.set.has(optSort) {
		if !r.sortTarget.valid() {
			return wire.RangeFields{}, invalid("range", "sort_target", "unknown sort target "+r.sortTarget.String())
		}
		if !r.sortOrder.valid() {
			return wire.RangeFields{}, invalid("range", "sort_order", "unknown sort order "+r.sortOrder.String())
		}
		if end == nil {
			return wire.RangeFields{}, invalid("range", "sort", "sorting a single key has no effect; add WithPrefix, WithFromKey, WithRangeEnd or WithAll")
		}
	}
	return wire.RangeFields{
		Key:               key,
		End:               end,
		Limit:             r.limit,
		Revision:          r.rev,
		SortOrder:         int32(r.sortOrder),
		SortTarget:        int32(r.sortTarget),
		Serializable:      r.set.has(optSerializable),
		KeysOnly:          r.set.has(optKeysOnly),
		CountOnly:         r.set.has(optCountOnly),
		MinModRevision:    r.minMod,
		MaxModRevision:    r.maxMod,
		MinCreateRevision: r.minCreate,
		MaxCreateRevision: r.maxCreate,
	}, nil
}

// PutRequest compiles r into a fresh *pb.PutRequest (the Put RPC).
func (r Request) PutRequest() (*pb.PutRequest, error) { return r.putRequest(wire.Copy) }

func (r Request) putRequest(m wire.Mode) (*pb.PutRequest, error) {
	f, err := r.putFields(m)
	if err != nil {
		return nil, err
	}
	return wire.PutMessage(&f), nil
}

// putFields validates a put and returns its fields.
func (r Request) putFields(m wire.Mode) (wire.PutFields, error) {
	if err := r.check("put", putOpts); err != nil {
		return wire.PutFields{}, err
	}
	if r.key == "" {
		return wire.PutFields{}, invalid("put", "key", "empty key; etcd rejects it")
	}
	if r.lease < 0 {
		return wire.PutFields{}, invalid("put", "lease", negative(r.lease))
	}
	if r.set.has(optIgnoreValue) && r.set.has(optValue) {
		return wire.PutFields{}, invalid("put", "value", "WithValue and WithIgnoreValue are mutually exclusive")
	}
	if r.set.has(optIgnoreLease) && r.set.has(optLease) {
		return wire.PutFields{}, invalid("put", "lease", "WithLease and WithIgnoreLease are mutually exclusive")
	}
	return wire.PutFields{
		Key:         m.Bytes(r.key),
		Value:       m.Bytes(r.value),
		Lease:       r.lease,
		PrevKV:      r.set.has(optPrevKV),
		IgnoreValue: r.set.has(optIgnoreValue),
		IgnoreLease: r.set.has(optIgnoreLease),
	}, nil
}

// DeleteRequest compiles r into a fresh *pb.DeleteRangeRequest (the
// DeleteRange RPC).
func (r Request) DeleteRequest() (*pb.DeleteRangeRequest, error) { return r.deleteRequest(wire.Copy) }

func (r Request) deleteRequest(m wire.Mode) (*pb.DeleteRangeRequest, error) {
	f, err := r.deleteFields(m)
	if err != nil {
		return nil, err
	}
	return wire.DeleteMessage(&f), nil
}

// deleteFields validates a delete and returns its fields.
func (r Request) deleteFields(m wire.Mode) (wire.DeleteFields, error) {
	if err := r.check("delete", deleteOpts); err != nil {
		return wire.DeleteFields{}, err
	}
	key, end, err := r.keyRange("delete", m)
	if err != nil {
		return wire.DeleteFields{}, err
	}
	return wire.DeleteFields{Key: key, End: end, PrevKV: r.set.has(optPrevKV)}, nil
}

// CompactRequest compiles r into a fresh *pb.CompactionRequest (the Compact
// RPC). It needs WithRev with a revision above zero.
func (r Request) CompactRequest() (*pb.CompactionRequest, error) {
	if err := r.check("compact", compactOpts); err != nil {
		return nil, err
	}
	if r.rev <= 0 {
		return nil, invalid("compact", "revision", "compaction needs WithRev with a revision above zero")
	}
	return &pb.CompactionRequest{Revision: r.rev, Physical: r.set.has(optPhysical)}, nil
}

// check rejects options the request kind does not use and a negative timeout.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		f := extra.first().field()
		return invalid(req, f, "not used by a "+req+" request")
	}
	if r.timeout < 0 {
		return invalid(req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	return nil
}

// keyRange turns the recorded range intent into key and range_end bytes.
// A nil end means a single key.
func (r Request) keyRange(req string, m wire.Mode) (key, end []byte, err error) {
	mode := r.set & rangeMode
	if mode.count() > 1 {
		return nil, nil, invalid(req, "range_end", "only one of WithPrefix, WithFromKey, WithRangeEnd and WithAll may be used, got "+modeNames(mode))
	}
	span := keys.Single
	switch mode {
	case optAll:
		if r.key != "" {
			return nil, nil, invalid(req, "key", "WithAll takes no key; use WithPrefix or WithFromKey to start at a key")
		}
		span = keys.Prefix // the prefix of the empty key is every key
	case optPrefix:
		span = keys.Prefix
	case optFromKey:
		span = keys.FromKey
	case optRangeEnd:
		span = keys.Range
	}
	key, end, field, reason := keys.Resolve(span, r.key, r.end, m)
	if field != "" {
		return nil, nil, invalid(req, field, reason)
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
