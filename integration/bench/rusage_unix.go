//go:build unix

package bench

import "syscall"

// cpuTime returns the user+sys CPU time this process has used, in
// nanoseconds. The etcd server is another process and is not included.
func cpuTime() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
