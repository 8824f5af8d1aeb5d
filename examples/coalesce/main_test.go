package main

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCoalesce runs the program and checks that both connections wrote
// every reading once, that the plain one took a revision per put, and that
// the coalescing one batched.
func TestCoalesce(t *testing.T) {
	got := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	n := workers * readings
	demo.Contains(t, got,
		fmt.Sprintf("plain: %d workers wrote %d readings; %d read back", workers, n, n),
		fmt.Sprintf("%d revisions for %d puts", n, n),
		fmt.Sprintf("coalescing: %d workers wrote %d readings; %d read back", workers, n, n),
		"transactions of",
		"round trips instead of",
	)
	t.Log("\n" + got)
}
