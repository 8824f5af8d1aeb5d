package rbac

import "math/bits"

// option is the set of options a Request was given.
type option uint8

const (
	optUser option = 1 << iota
	optRole
	optPassword
	optNoPassword
	optPermission
	optTimeout
)

var optionFields = [...]string{"name", "role", "password", "no_password", "permission", "timeout"}

func (o option) has(b option) bool { return o&b != 0 }

// field names the lowest option of o.
func (o option) field() string {
	i := bits.TrailingZeros8(uint8(o))
	if i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}
