package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCounter(t *testing.T) {
	out := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	demo.Contains(t, out, "8 goroutines × 10 increments: counter = 80 (want 80)")
}
