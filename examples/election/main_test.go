package main

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestElection runs the program and checks the story it tells, in order:
// a leads and works, b waits, a dies, b takes over and goes on counting,
// a's late write is refused, b resigns, the election is vacant.
func TestElection(t *testing.T) {
	got := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	at := 0
	for _, want := range []string{
		"worker-a: leading with token",
		"worker-a: counter 2 -> 3",
		"worker-a: died",
		"worker-b: leading with token",
		"worker-b: counter 3 -> 4",
		"worker-b: counter 4 -> 5",
		"worker-a's late write with token",
		"applied=false",
		"worker-b: resigned",
		"counter is 5",
	} {
		i := strings.Index(got[at:], want)
		if i < 0 {
			t.Fatalf("output lacks %q after position %d:\n%s", want, at, got)
		}
		at += i
	}
	demo.Contains(t, got, "observer: leader is worker-a", "observer: leader is worker-b", "worker-b: campaigning")
	if strings.Count(got, "observer: no leader") != 2 {
		t.Errorf("want the vacant election observed twice (before and after):\n%s", got)
	}
	t.Log("\n" + got)
}
