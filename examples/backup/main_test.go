package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBackup(t *testing.T) {
	server := etcdtest.Start(t)
	path := filepath.Join(t.TempDir(), "backup.db")
	out := demo.Output(t, server, time.Minute, func(ctx context.Context, w io.Writer, endpoints []string) error {
		return run(ctx, w, endpoints, !server.IsExternal(), "", path)
	})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	demo.Contains(t, out,
		"snapshot of "+server.Endpoints()[0]+" written to "+path,
		"verified: "+itoa(fi.Size())+" bytes, SHA-256 matches",
		"received "+itoa(fi.Size())+" of "+itoa(fi.Size())+" bytes",
		"keys (etcdutl snapshot status)",
		"revision ",
	)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
