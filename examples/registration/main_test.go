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

// TestRegistration runs the program and checks the story it tells: both
// instances seen, a gone at once, b gone when its lease expired.
func TestRegistration(t *testing.T) {
	got := demo.Output(t, etcdtest.Start(t), time.Minute, run)
	demo.Contains(t, got,
		"instance-a registered 10.0.0.1:8080 under lease",
		"instance-b registered 10.0.0.2:8080 under lease",
		"client sees 2 instance(s): instance-a, instance-b",
		"instance-a stopped cleanly (session closed, lease revoked)",
		"client sees 1 instance(s): instance-b",
		"instance-b died: its connection is gone, its lease is no longer renewed",
		"client sees 0 instance(s): none",
		"when its lease expired",
	)
	// The order of the story.
	if a, b := strings.Index(got, "instance-a stopped"), strings.Index(got, "instance-b died"); a < 0 || b < a {
		t.Errorf("events out of order:\n%s", got)
	}
	t.Log("\n" + got)
}
