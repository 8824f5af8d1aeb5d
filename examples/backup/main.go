// Backup takes a snapshot of an etcd member into a file, verifies it, and
// prints its size and revision.
//
//	go run ./examples/backup -out /tmp/etcd-backup.db
//
// getcd streams the snapshot to a temporary file beside the target, checks
// the SHA-256 that etcd appends, and renames the file into place only when
// it matches: a failed backup leaves no file. The file is what etcdctl
// snapshot save writes, and restores with etcdutl snapshot restore.
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run and writes a few keys to
// it so that the snapshot holds something.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/maintenance"
)

// main reads the flags and hands run to demo.Quiet (examples/internal/demo),
// which finds etcd and sets a deadline. run is the example itself; it writes
// demonstration keys first only into an embedded etcd.
func main() {
	out := flag.String("out", filepath.Join(os.TempDir(), "getcd-backup.db"), "where to write the snapshot")
	endpoint := flag.String("endpoint", "", "the member to snapshot (default: any)")
	flag.Parse()

	demo.Quiet("backup", 10*time.Minute, func(ctx context.Context, w io.Writer, endpoints []string) error {
		return run(ctx, w, endpoints, demo.Embedded(), *endpoint, *out)
	})
}

// run backs the cluster at endpoints up to path. demo writes a few keys
// first.
func run(ctx context.Context, out io.Writer, endpoints []string, demo bool, endpoint, path string) error {
	c, err := conn.New(ctx, conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	defer c.Close()

	if demo {
		for i := range 100 {
			k := "backup-demo/" + strconv.Itoa(i)
			if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue("value of "+k)); err != nil {
				return err
			}
		}
	}

	// 1. The snapshot, with progress every quarter.
	req := maintenance.New().WithFile(path)
	if endpoint != "" {
		req = req.WithEndpoint(endpoint)
	}
	next := 0
	req = req.WithProgress(func(p maintenance.Progress) {
		if p.Total > 0 && p.Received*4 >= int64(next)*p.Total {
			fmt.Fprintf(out, "  received %d of %d bytes\n", p.Received, p.Total)
			next = int(p.Received*4/p.Total) + 1
		}
	})
	snap, err := maintenance.Snapshot(ctx, c, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "snapshot of %s written to %s: %d bytes, checksum %x..., storage version %s\n",
		snap.Endpoint, path, snap.Size, snap.Checksum[:8], snap.Version)

	// 2. Verify the file as it is on disk.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	size, err := maintenance.VerifySnapshot(f)
	f.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "verified: %d bytes, SHA-256 matches\n", size)

	// 3. Its revision and keys, read by etcd's own tool.
	st, err := snapshot.NewV3(zap.NewNop()).Status(path)
	if err != nil {
		return fmt.Errorf("etcdutl snapshot status: %w", err)
	}
	fmt.Fprintf(out, "revision %d, %d keys (etcdutl snapshot status)\n", st.Revision, st.TotalKey)
	return nil
}
