package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPaging(t *testing.T) {
	out := demo.Output(t, etcdtest.Start(t), 30*time.Second, run)
	demo.Contains(t, out,
		"page 1: 10 keys, 00 .. 09\n",
		"meanwhile: deleted 15, added 98 and 99\n",
		"page 2: 10 keys, 10 .. 19\n", // 15 still there: the first page's revision
		"page 3: 5 keys, 20 .. 24\n",  // 98 and 99 not there yet
		"listed 25 keys in 3 pages at revision ",
		"the prefix holds 26 keys now",
	)
}
