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
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, pkg+": leaked goroutines:", err)
			code = 1
		}
	}
	return code
}
