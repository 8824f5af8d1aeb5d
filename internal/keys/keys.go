// Package keys holds key-space arithmetic shared by the builders.
package keys

// PrefixEnd returns a fresh range end that makes [key, end) cover every key
// starting with key: trailing 0xff bytes are dropped and the last remaining
// byte is incremented. When nothing remains (an empty or all-0xff key) it
// returns "\x00", etcd's "to the end of the key space".
func PrefixEnd(key string) []byte {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] < 0xff {
			end := []byte(key[:i+1])
			end[i]++
			return end
		}
	}
	return []byte{0}
}
