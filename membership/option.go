package membership

import "math/bits"

// option is the set of options a Request was given.
type option uint8

const (
	optID option = 1 << iota
	optPeerURLs
	optLearner
	optLinearizable
	optTimeout
)

var optionFields = [...]string{"id", "peer_urls", "is_learner", "linearizable", "timeout"}

// Options each call accepts.
const (
	listOpts    = optLinearizable | optTimeout
	addOpts     = optPeerURLs | optLearner | optTimeout
	removeOpts  = optID | optTimeout
	updateOpts  = optID | optPeerURLs | optTimeout
	promoteOpts = optID | optTimeout
)

func (o option) has(b option) bool { return o&b != 0 }

// field names the lowest option of o.
func (o option) field() string {
	i := bits.TrailingZeros8(uint8(o))
	if i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}
