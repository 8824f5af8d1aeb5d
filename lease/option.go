package lease

import "math/bits"

// option is a bit set of the options a Request was given, so that each call
// rejects the options it does not use (see check).
type option uint8

const (
	optTTL option = 1 << iota
	optID
	optKeys
	optTimeout
	optRecovery
)

// optionFields names each option as error messages show it.
var optionFields = [...]string{"ttl", "id", "keys", "timeout", "recovery"}

// The options each call accepts; a connection name is accepted by all.
const (
	grantOpts     = optTTL | optID | optTimeout
	revokeOpts    = optID | optTimeout
	timeToLive    = optID | optKeys | optTimeout
	leasesOpts    = optTimeout
	onceOpts      = optID | optTimeout
	keepAliveOpts = optID
	sessionOpts   = optTTL | optID | optRecovery
)

func (o option) has(b option) bool { return o&b != 0 }

// field names the lowest option bit of o.
func (o option) field() string {
	if i := bits.TrailingZeros8(uint8(o)); i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}
