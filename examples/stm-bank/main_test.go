package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBank(t *testing.T) {
	out := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	demo.Contains(t, out, "5 accounts, 500 in all", "80 transfers:", "in all: 500 (was 500); negative balances: 0")
}
