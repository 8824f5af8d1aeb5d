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

func TestClusterStatus(t *testing.T) {
	server := etcdtest.Start(t)
	out := demo.Output(t, server, 30*time.Second, run)
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], "ID ") || !strings.Contains(lines[1], "LEADER") {
		t.Fatalf("no table header:\n%s", out)
	}
	if server.IsExternal() {
		return
	}
	// One embedded member: it leads, is no learner, reports no error.
	row := strings.Fields(lines[2])
	if len(row) < 12 || row[1] != "etcdtest" || row[2] != server.ClientURL() || row[8] != "true" || row[9] != "false" {
		t.Errorf("member row %q", lines[2])
	}
	if !strings.Contains(out, "1 members") || !strings.Contains(out, "no alarms") {
		t.Errorf("output:\n%s", out)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 20480: "20.0 KiB", 3 << 20: "3.0 MiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
