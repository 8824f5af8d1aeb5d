package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClusterStatus(t *testing.T) {
	server, stop, err := etcdtest.StartShared()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := run(ctx, &out, server.Endpoints()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], "ID ") || !strings.Contains(lines[1], "LEADER") {
		t.Fatalf("no table header:\n%s", out.String())
	}
	if server.IsExternal() {
		return
	}
	// One embedded member: it leads, is no learner, reports no error.
	row := strings.Fields(lines[2])
	if len(row) < 12 || row[1] != "etcdtest" || row[2] != server.ClientURL() || row[8] != "true" || row[9] != "false" {
		t.Errorf("member row %q", lines[2])
	}
	if !strings.Contains(out.String(), "1 members") || !strings.Contains(out.String(), "no alarms") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 20480: "20.0 KiB", 3 << 20: "3.0 MiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
