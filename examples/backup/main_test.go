package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBackup(t *testing.T) {
	server, stop, err := etcdtest.StartShared()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "backup.db")
	var out strings.Builder
	if err := run(ctx, &out, server.Endpoints(), !server.IsExternal(), "", path); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"snapshot of " + server.Endpoints()[0] + " written to " + path,
		"verified: " + itoa(fi.Size()) + " bytes, SHA-256 matches",
		"received " + itoa(fi.Size()) + " of " + itoa(fi.Size()) + " bytes",
		"keys (etcdutl snapshot status)",
		"revision ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
