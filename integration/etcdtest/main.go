package etcdtest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// MainWithBinary is a TestMain body for packages that start etcd processes:
// it builds the etcd binary into a temporary directory and stores its path
// in *bin, runs the tests, removes the directory, and fails the run if the
// tests leaked goroutines. It returns the exit code for os.Exit.
func MainWithBinary(m *testing.M, pkg string, bin *string) int {
	return mainWith(m, pkg, bin, nil)
}

// MainWithProcess is MainWithBinary with one etcd process, started from the
// binary before the tests and stopped after them, for the tests that do not
// stop it: *shared is that server (or the external cluster in
// ETCD_ENDPOINTS, as StartProcessShared says).
func MainWithProcess(m *testing.M, pkg string, bin *string, shared **Server) int {
	return mainWith(m, pkg, bin, func() (func(), error) {
		s, stop, err := StartProcessShared(*bin)
		*shared = s
		return stop, err
	})
}

// mainWith builds etcd, runs start (when set) and the tests, stops what
// start started, then checks for leaked goroutines.
func mainWith(m *testing.M, pkg string, bin *string, start func() (stop func(), err error)) int {
	dir, err := os.MkdirTemp("", "getcd-"+pkg+"-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, pkg+":", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildEtcd(dir); err != nil {
		fmt.Fprintln(os.Stderr, pkg+": build etcd:", err)
		return 1
	}
	stop := func() {}
	if start != nil {
		if stop, err = start(); err != nil {
			fmt.Fprintln(os.Stderr, pkg+": start etcd:", err)
			return 1
		}
	}
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, pkg+": leaked goroutines:", err)
			code = 1
		}
	}
	return code
}
