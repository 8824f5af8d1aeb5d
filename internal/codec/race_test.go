//go:build race

package codec_test

// raceEnabled is true under -race, where sync.Pool drops some of what it is
// given, so that a buffer taken from gRPC's pool is sometimes allocated
// afresh.
const raceEnabled = true
