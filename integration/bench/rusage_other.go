//go:build !unix

package bench

// cpuTime is not available without getrusage; the table shows "n/a".
func cpuTime() (int64, bool) { return 0, false }
