package stm

import (
	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/errs"
	"github.com/getcd/getcd/internal/keys"
	"github.com/getcd/getcd/internal/wire"
)

// span is the set of keys a read covers: one key, a prefix or a range. It
// keeps what the caller gave (to build requests and conditions with the
// builders) and the bounds [lo, hi) it stands for; hi == "" means no upper
// bound.
type span struct {
	kind     keys.Span
	key, end string
	lo, hi   string
}

// single is the span of one key. Its bounds would be [key, key+"\x00");
// contains and covers handle it without building the upper one.
func single(key string) span {
	return span{kind: keys.Single, key: key, lo: key}
}

// newSpan checks a prefix or range with the builders' rules.
func newSpan(kind keys.Span, key, end string) (span, error) {
	lo, hi, field, reason := keys.Resolve(kind, key, end, wire.Copy)
	if field != "" {
		return span{}, errs.Field("stm", "range", field, reason)
	}
	s := span{kind: kind, key: key, end: end, lo: string(lo), hi: string(hi)}
	if s.hi == "\x00" {
		s.hi = "" // etcd's "to the end of the key space"
	}
	return s, nil
}

func (s span) contains(k string) bool {
	if s.kind == keys.Single {
		return k == s.lo
	}
	return k >= s.lo && (s.hi == "" || k < s.hi)
}

// covers says whether every key of o is in s.
func (s span) covers(o span) bool {
	switch {
	case o.kind == keys.Single:
		return s.contains(o.lo)
	case s.kind == keys.Single:
		return false // o holds more than one key
	}
	return s.lo <= o.lo && (s.hi == "" || (o.hi != "" && o.hi <= s.hi))
}

// request is the read of the span.
func (s span) request() kv.Request {
	r := kv.New().WithKey(s.key)
	switch s.kind {
	case keys.Prefix:
		return r.WithPrefix()
	case keys.Range:
		return r.WithRangeEnd(s.end)
	}
	return r
}

// subject is the span as the subject of a condition.
func (s span) subject() compare.Subject {
	switch s.kind {
	case keys.Prefix:
		return compare.Prefix(s.key)
	case keys.Range:
		return compare.Range(s.key, s.end)
	}
	return compare.Key(s.key)
}
