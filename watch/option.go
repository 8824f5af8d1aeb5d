package watch

import "math/bits"

// option is a bit set of the options a Request was given. It lets the
// compile step reject options the watch or the mirror does not use.
type option uint32

const (
	optKey option = 1 << iota
	optPrefix
	optFromKey
	optRangeEnd
	optAll
	optStartRev
	optFilterPut
	optFilterDelete
	optPrevKV
	optWatchID
	optFragment
	optProgressNotify
	optCreatedNotify
	optNoRequireLeader
	optBuffer
	optPageSize
)

// optionFields names each option by the protobuf field or builder option it
// sets, for error messages.
var optionFields = [...]string{
	"key", "prefix", "from_key", "range_end", "all", "start_revision",
	"filters", "filters", "prev_kv", "watch_id", "fragment",
	"progress_notify", "created_notify", "require_leader", "buffer",
	"page_size",
}

// Options each kind accepts.
const (
	rangeMode  = optPrefix | optFromKey | optRangeEnd | optAll
	streamOpts = optFragment | optNoRequireLeader | optBuffer
	watchOpts  = optKey | rangeMode | optStartRev | optFilterPut | optFilterDelete | optPrevKV |
		optWatchID | optProgressNotify | optCreatedNotify | streamOpts
	mirrorOpts = optKey | rangeMode | optPageSize | streamOpts
)

// first returns the lowest option bit in o.
func (o option) first() option { return o & -o }

// field returns the name of a single option bit.
func (o option) field() string {
	if i := bits.TrailingZeros32(uint32(o)); o == 1<<i && i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}

func (o option) has(b option) bool { return o&b != 0 }

func (o option) count() int { return bits.OnesCount32(uint32(o)) }
