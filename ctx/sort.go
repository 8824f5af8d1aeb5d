package kv

import "strconv"

// SortTarget is the field a range is sorted by. The values match etcd's
// RangeRequest_SortTarget.
type SortTarget int32

// Sort targets.
const (
	SortByKey     SortTarget = 0
	SortByVersion SortTarget = 1
	SortByCreate  SortTarget = 2
	SortByMod     SortTarget = 3
	SortByValue   SortTarget = 4
)

// SortOrder is the direction of a sort. The values match etcd's
// RangeRequest_SortOrder.
type SortOrder int32

// Sort orders.
const (
	SortNone    SortOrder = 0
	SortAscend  SortOrder = 1
	SortDescend SortOrder = 2
)

func (t SortTarget) String() string {
	switch t {
	case SortByKey:
		return "key"
	case SortByVersion:
		return "version"
	case SortByCreate:
		return "create"
	case SortByMod:
		return "mod"
	case SortByValue:
		return "value"
	}
	return "SortTarget(" + strconv.Itoa(int(t)) + ")"
}

func (o SortOrder) String() string {
	switch o {
	case SortNone:
		return "none"
	case SortAscend:
		return "ascend"
	case SortDescend:
		return "descend"
	}
	return "SortOrder(" + strconv.Itoa(int(o)) + ")"
}

func (t SortTarget) valid() bool { return t >= SortByKey && t <= SortByValue }
func (o SortOrder) valid() bool  { return o >= SortNone && o <= SortDescend }

// WithSort sorts a range by target in the given order.
func (r Request) WithSort(target SortTarget, order SortOrder) Request {
	r.sortTarget = target
	r.sortOrder = order
	r.set |= optSort
	return r
}

// WithTop is WithSort(target, order) plus WithPrefix and WithLimit(1): the
// first key of the prefix in that order.
func (r Request) WithTop(target SortTarget, order SortOrder) Request {
	return r.WithSort(target, order).WithPrefix().WithLimit(1)
}

// WithFirstKey gets the smallest key under the prefix.
func (r Request) WithFirstKey() Request { return r.WithTop(SortByKey, SortAscend) }

// WithLastKey gets the largest key under the prefix.
func (r Request) WithLastKey() Request { return r.WithTop(SortByKey, SortDescend) }

// WithFirstCreate gets the key under the prefix with the lowest create revision.
func (r Request) WithFirstCreate() Request { return r.WithTop(SortByCreate, SortAscend) }

// WithLastCreate gets the key under the prefix with the highest create revision.
func (r Request) WithLastCreate() Request { return r.WithTop(SortByCreate, SortDescend) }

// WithFirstRev gets the key under the prefix with the lowest mod revision.
func (r Request) WithFirstRev() Request { return r.WithTop(SortByMod, SortAscend) }

// WithLastRev gets the key under the prefix with the highest mod revision.
func (r Request) WithLastRev() Request { return r.WithTop(SortByMod, SortDescend) }
