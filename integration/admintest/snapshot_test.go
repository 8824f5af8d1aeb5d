package admintest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
)

// fill writes keys with several versions each, deletes some, and returns
// every key of the store as conn reads it.
func fill(t *testing.T, ctx context.Context, c *conn.Conn) *conn.GetResponse {
	t.Helper()
	for i := range 200 {
		k := "snap/" + strconv.Itoa(i)
		for v := range 1 + i%3 {
			if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue(k+"="+strconv.Itoa(v)+string(bytes.Repeat([]byte{'.'}, i*10)))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := c.Delete(ctx, kv.New().WithKey("snap/1").WithRangeEnd("snap/2")); err != nil {
		t.Fatal(err)
	}
	all, err := c.Get(ctx, kv.New().WithAll())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// A snapshot written through getcd restores with etcd's own restore into
// a working etcd holding the same keys, revisions and versions.
func TestSnapshotRestores(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	want := fill(t, ctx, c)

	path := filepath.Join(t.TempDir(), "backup.db")
	var last maintenance.Progress
	var calls int
	snap, err := maintenance.Snapshot(ctx, c, maintenance.New().WithFile(path).WithProgress(func(p maintenance.Progress) {
		if p.Received < last.Received || p.Total == 0 {
			t.Errorf("progress went from %+v to %+v", last, p)
		}
		last = p
		calls++
	}))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != snap.Size || snap.Size%512 != 32 || snap.Version == "" || snap.Endpoint != s.Endpoints()[0] {
		t.Errorf("snapshot %+v, file of %d bytes", snap, fi.Size())
	}
	if calls < 2 || last.Received != snap.Size || last.Total != snap.Size {
		t.Errorf("progress: %d calls, last %+v, want it to end at %d", calls, last, snap.Size)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := maintenance.VerifySnapshot(f)
	f.Close()
	if err != nil || n != snap.Size {
		t.Fatalf("VerifySnapshot = %d, %v", n, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the snapshot alone", len(entries))
	}

	restored, err := etcdtest.StartRestored(t, path)
	if err != nil {
		t.Fatal(err)
	}
	rc := open(t, conn.Config{Endpoints: restored.Endpoints()})
	got, err := rc.Get(ctx, kv.New().WithAll())
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Revision != want.Header.Revision {
		t.Errorf("restored revision %d, want %d", got.Header.Revision, want.Header.Revision)
	}
	if d := gocmp.Diff(want.KVs, got.KVs); d != "" {
		t.Errorf("restored keys (-original +restored):\n%s", d)
	}
	if got.Count != want.Count || got.Count < 50 {
		t.Errorf("restored %d keys, want %d", got.Count, want.Count)
	}
	// The restored server takes writes.
	if _, err := rc.Put(ctx, kv.New().WithKey("after-restore").WithValue("v")); err != nil {
		t.Errorf("put on the restored server: %v", err)
	}

	// The same snapshot to a writer is byte for byte the file.
	var buf bytes.Buffer
	if _, err := maintenance.Snapshot(ctx, c, maintenance.New().WithWriter(&buf)); err != nil {
		t.Fatal(err)
	}
	if _, err := maintenance.VerifySnapshot(bytes.NewReader(buf.Bytes())); err != nil {
		t.Errorf("snapshot to a writer: %v", err)
	}
}

// corruptor is a stream interceptor that flips one bit of the first
// snapshot chunk it sees, as a bad network or proxy would.
type corruptor struct{ armed atomic.Bool }

func (k *corruptor) option() grpc.DialOption {
	return grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil || method != maintenance.MethodSnapshot {
			return s, err
		}
		return &corruptStream{ClientStream: s, k: k}, nil
	})
}

type corruptStream struct {
	grpc.ClientStream
	k *corruptor
}

func (s *corruptStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if r, ok := m.(*pb.SnapshotResponse); ok && err == nil && len(r.Blob) > 100 && s.k.armed.CompareAndSwap(true, false) {
		r.Blob[100] ^= 0x04
	}
	return err
}

// A snapshot stream corrupted on the way is rejected with the checksum
// error; WithFile then leaves no file behind.
func TestSnapshotCorrupt(t *testing.T) {
	var k corruptor
	c := open(t, conn.Config{DialOptions: []grpc.DialOption{k.option()}})
	ctx := testCtx(t)

	k.armed.Store(true)
	var buf bytes.Buffer
	_, err := maintenance.Snapshot(ctx, c, maintenance.New().WithWriter(&buf))
	var se *maintenance.SnapshotError
	if !errors.Is(err, maintenance.ErrChecksum) || !errors.As(err, &se) {
		t.Fatalf("corrupted stream: %v, want maintenance.ErrChecksum", err)
	}
	if se.Written != int64(buf.Len()) || se.Written == 0 {
		t.Errorf("error says %d bytes written, the writer holds %d", se.Written, buf.Len())
	}
	if _, err := maintenance.VerifySnapshot(&buf); err == nil {
		t.Errorf("what reached the writer verifies as a snapshot")
	}

	dir := t.TempDir()
	k.armed.Store(true)
	_, err = maintenance.Snapshot(ctx, c, maintenance.New().WithFile(filepath.Join(dir, "backup.db")))
	if !errors.Is(err, maintenance.ErrChecksum) {
		t.Fatalf("corrupted stream to a file: %v, want maintenance.ErrChecksum", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed snapshot left %d files behind: %v", len(entries), entries)
	}

	// Without corruption the same connection snapshots fine.
	if _, err := maintenance.Snapshot(ctx, c, maintenance.New().WithFile(filepath.Join(dir, "backup.db"))); err != nil {
		t.Fatalf("clean snapshot: %v", err)
	}
}

type failAfter struct {
	n   int
	err error
}

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

// A writer that fails midway ends the snapshot at once with ErrWriter and
// the writer's error; the stream is closed (gRPC reports it ended) and the
// connection keeps working.
func TestSnapshotWriterFails(t *testing.T) {
	counter := newCounter()
	c := open(t, conn.Config{DialOptions: []grpc.DialOption{counter.option()}})
	ctx := testCtx(t)
	errFull := errors.New("disk full")
	_, err := maintenance.Snapshot(ctx, c, maintenance.New().WithWriter(&failAfter{n: 5000, err: errFull}))
	var se *maintenance.SnapshotError
	if !errors.Is(err, maintenance.ErrWriter) || !errors.Is(err, errFull) || !errors.As(err, &se) || se.Written != 5000 {
		t.Fatalf("failing writer: %v", err)
	}
	eventually(t, ctx, "the snapshot stream ended", func() bool {
		b, e := counter.count(maintenance.MethodSnapshot)
		return b == 1 && e == 1
	})
	if _, err := maintenance.Status(ctx, c, maintenance.New()); err != nil {
		t.Errorf("status after the failed snapshot: %v", err)
	}
	dir := t.TempDir()
	_, err = maintenance.Snapshot(ctx, c, maintenance.New().WithFile(filepath.Join(dir, "no-such-dir", "b.db")))
	if !errors.Is(err, maintenance.ErrWriter) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file in a missing directory: %v", err)
	}
	if b, _ := counter.count(maintenance.MethodSnapshot); b != 1 {
		t.Errorf("a snapshot that could not create its file still opened a stream")
	}
}

// A snapshot to a file given up midway (the caller cancels after the first
// chunk was written to the file) ends with the context's error, leaves no
// file behind, not even the partial one, closes the stream, and the
// connection keeps working.
func TestSnapshotFileCancelledMidway(t *testing.T) {
	counter := newCounter()
	c := open(t, conn.Config{DialOptions: []grpc.DialOption{counter.option()}})
	ctx := testCtx(t)
	// Enough data that the snapshot takes several chunks of etcd's 32 KiB.
	p := prefix(t)
	value := string(bytes.Repeat([]byte{'x'}, 1024))
	for i := range 128 {
		if _, err := c.Put(ctx, kv.New().WithKey(p+strconv.Itoa(i)).WithValue(value)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = c.Delete(context.Background(), kv.New().WithKey(p).WithPrefix()) })

	dir := t.TempDir()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var at maintenance.Progress
	_, err := maintenance.Snapshot(cctx, c, maintenance.New().WithFile(filepath.Join(dir, "backup.db")).WithProgress(func(p maintenance.Progress) {
		if at.Received == 0 && p.Received < p.Total {
			at = p
			// The chunk is in the partial file now.
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("while the snapshot runs the directory holds %v, want one partial file", entries)
			}
			cancel()
		}
	}))
	if at.Received == 0 {
		t.Fatalf("the snapshot came in one chunk (%v); nothing was cancelled midway", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("snapshot cancelled after %d of %d bytes: %v, want context.Canceled", at.Received, at.Total, err)
	}
	t.Logf("cancelled after %d of %d bytes: %v", at.Received, at.Total, err)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a cancelled snapshot left %v behind", entries)
	}
	eventually(t, ctx, "the snapshot stream ended", func() bool {
		b, e := counter.count(maintenance.MethodSnapshot)
		return b == 1 && e == 1
	})
	if _, err := maintenance.Status(ctx, c, maintenance.New()); err != nil {
		t.Errorf("status after the cancelled snapshot: %v", err)
	}
}
