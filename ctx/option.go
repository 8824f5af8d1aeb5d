package kv

import "math/bits"

// option is a bit set of the options a Request was given. It lets each
// compile step reject options that do not apply to its request kind.
type option uint32

const (
	optKey option = 1 << iota
	optValue
	optPrefix
	optFromKey
	optRangeEnd
	optAll
	optLimit
	optRev
	optSort
	optSerializable
	optKeysOnly
	optCountOnly
	optMinMod
	optMaxMod
	optMinCreate
	optMaxCreate
	optPrevKV
	optLease
	optIgnoreValue
	optIgnoreLease
	optPhysical
	optTimeout
	optNoCoalesce
)

// optionFields names each option by the protobuf field (or builder option)
// it sets, for error messages.
var optionFields = [...]string{
	"key", "value", "prefix", "from_key", "range_end", "all", "limit",
	"revision", "sort", "serializable", "keys_only", "count_only",
	"min_mod_revision", "max_mod_revision", "min_create_revision",
	"max_create_revision", "prev_kv", "lease", "ignore_value",
	"ignore_lease", "physical", "timeout", "no_coalesce",
}

// Options each request kind accepts. conn and timeout are accepted by all,
// no_coalesce by the requests a connection may coalesce (range, put, delete).
const (
	rangeMode   = optPrefix | optFromKey | optRangeEnd | optAll
	rangeOpts   = optKey | rangeMode | optLimit | optRev | optSort | optSerializable | optKeysOnly | optCountOnly | optMinMod | optMaxMod | optMinCreate | optMaxCreate | optTimeout | optNoCoalesce
	putOpts     = optKey | optValue | optLease | optPrevKV | optIgnoreValue | optIgnoreLease | optTimeout | optNoCoalesce
	deleteOpts  = optKey | rangeMode | optPrevKV | optTimeout | optNoCoalesce
	compactOpts = optRev | optPhysical | optTimeout
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

// count returns how many bits of o are set.
func (o option) count() int { return bits.OnesCount32(uint32(o)) }
