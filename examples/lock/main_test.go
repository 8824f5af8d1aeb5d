package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLock runs the program and checks the story it tells: every guarded
// increment kept, the stale holder's write refused, its loss reported.
func TestLock(t *testing.T) {
	got := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	demo.Contains(t, got,
		"3 workers increment examples/lock/ledger 5 times each",
		"counter = 15 after 15 guarded increments: nothing lost",
		"worker-1 holds the lock (fencing token",
		"read 15; then it stalls",
		"worker-2 took over and incremented",
		"worker-1's guarded write was refused: counter = 16",
		"worker-1's lock reports: lock: examples/lock/ledger-lock/",
		"lost: lease: lease",
	)
	t.Log("\n" + got)
}
