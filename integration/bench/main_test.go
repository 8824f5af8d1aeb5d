package bench

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/integration/etcdtest"
)

// etcdBin is the etcd binary the quick run starts as a separate process.
var etcdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "getcd-bench-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, external := etcdtest.External(); !external {
		etcdBin, err = etcdtest.BuildEtcd(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: build etcd:", err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}
