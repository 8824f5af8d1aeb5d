//go:build race

package op

// raceEnabled is true under -race, where sync.Pool drops some of what it is
// given, so that memory taken from a pool is sometimes allocated afresh.
const raceEnabled = true
