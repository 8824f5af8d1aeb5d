package bench

import (
	"os"
	"testing"

	"github.com/getcd/getcd/integration/etcdtest"
)

// etcdBin is the etcd binary the quick run starts as a separate process.
var etcdBin string

func TestMain(m *testing.M) { os.Exit(etcdtest.MainWithBinary(m, "bench", &etcdBin)) }
