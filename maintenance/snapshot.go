package maintenance

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// SnapshotResponse is the answer to Snapshot.
type SnapshotResponse struct {
	// Header is the header of etcd's first message. etcd v3.7 sends none
	// on snapshot streams, so it is zero there.
	Header conn.Header
	// Endpoint is the member that sent the snapshot: the endpoint asked
	// (WithEndpoint) or the address the connection reached.
	Endpoint string
	// Size is the number of bytes written: the database and the 32-byte
	// checksum after it.
	Size int64
	// Checksum is etcd's SHA-256 of the database, verified.
	Checksum [sha256.Size]byte
	// Version is the storage version of the member that made the snapshot
	// (etcd 3.6 and later); restore it with an etcd of that version.
	Version string
}

var snapshotDesc = &grpc.StreamDesc{StreamName: "Snapshot", ServerStreams: true}

// Snapshot streams a consistent copy of one member's database to
// r.WithWriter's writer or r.WithFile's file, verifies the SHA-256 checksum
// etcd appends and writes it after the database, so the result restores
// with etcd's own tools (etcdutl snapshot restore), which check it again.
//
// A snapshot whose checksum does not match fails with ErrChecksum, one cut
// short with ErrIncomplete, a writer that fails with ErrWriter (and the
// writer's error); all are *SnapshotError, and the stream is closed at
// once. Bytes already handed to a writer then form no valid snapshot and
// must be discarded; WithFile does that itself: the file appears only
// when the snapshot is complete and verified.
//
// The snapshot may be large: WithProgress reports each chunk, and the call
// is bounded by its context and WithTimeout only (not by the connection's
// RequestTimeout). If the auth token expired before the first byte, it
// authenticates again and starts over once.
func Snapshot(ctx context.Context, c *conn.Conn, r Request) (*SnapshotResponse, error) {
	const req = "snapshot"
	if err := r.check(req, snapshotOpts); err != nil {
		return nil, err
	}
	switch {
	case r.set.has(optWriter) && r.set.has(optFile):
		return nil, invalid(req, "writer", "WithWriter and WithFile are mutually exclusive")
	case r.set.has(optFile) && r.file == "":
		return nil, invalid(req, "file", "empty file path")
	case r.set.has(optFile) && isDir(r.file):
		// The snapshot could not be renamed onto it once it had arrived.
		return nil, invalid(req, "file", strconv.Quote(r.file)+" is a directory; name the snapshot file")
	case r.set.has(optWriter) && r.w == nil:
		return nil, invalid(req, "writer", "nil writer")
	case !r.set.has(optWriter) && !r.set.has(optFile):
		return nil, invalid(req, "writer", "where to write the snapshot is required (WithWriter or WithFile)")
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := on(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	if r.set.has(optFile) {
		return snapshotFile(ctx, tc, r, ep)
	}
	return snapshot(ctx, tc, r, ep, r.w)
}

// isDir says whether path names a directory: it ends with a separator, or
// it is an existing directory.
func isDir(path string) bool {
	if os.IsPathSeparator(path[len(path)-1]) {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// snapshot runs the stream into w.
func snapshot(ctx context.Context, c *conn.Conn, r Request, ep string, w io.Writer) (*SnapshotResponse, error) {
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	// Cancelling ends the stream on every way out, also when the writer
	// failed halfway.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		var p peer.Peer
		out, s, err := receive(ctx, x, w, r.progress, &p)
		if err == nil {
			if ep == "" && p.Addr != nil {
				ep = p.Addr.String()
			}
			out.Endpoint = ep
			return out, nil
		}
		var se *SnapshotError
		if errors.As(err, &se) {
			return nil, err
		}
		err = x.Error(ctx, MethodSnapshot, &p, connx.Read, err)
		if attempt == 0 && s.recv == 0 {
			if ok, rerr := x.Reauth(ctx, err); rerr != nil {
				return nil, rerr
			} else if ok {
				continue
			}
		}
		return nil, err
	}
}

// receive opens the stream and copies it through a sink into w.
func receive(ctx context.Context, x connx.Conn, w io.Writer, progress func(Progress), p *peer.Peer) (*SnapshotResponse, *sink, error) {
	s := newSink(w, progress)
	st, err := x.NewStream(ctx, snapshotDesc, MethodSnapshot, grpc.Peer(p))
	if err != nil {
		return nil, s, err
	}
	if err := st.SendMsg(&pb.SnapshotRequest{}); err != nil {
		return nil, s, err
	}
	if err := st.CloseSend(); err != nil {
		return nil, s, err
	}
	out := &SnapshotResponse{}
	m := &pb.SnapshotResponse{}
	for first := true; ; first = false {
		if err := st.RecvMsg(m); err == io.EOF {
			break
		} else if err != nil {
			return nil, s, err
		}
		if first {
			out.Header = conn.HeaderOf(m.Header)
			out.Version = m.Version
			s.announce(int64(m.RemainingBytes) + int64(len(m.Blob)))
		}
		if err := s.add(m.Blob); err != nil {
			return nil, s, err
		}
	}
	sum, err := s.finish()
	if err != nil {
		return nil, s, err
	}
	out.Size, out.Checksum = s.written, sum
	return out, s, nil
}

// snapshotFile writes the snapshot to a temporary file beside the target,
// syncs it and renames it into place; on any failure it removes it.
func snapshotFile(ctx context.Context, c *conn.Conn, r Request, ep string) (*SnapshotResponse, error) {
	dir, base := filepath.Split(r.file)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.part")
	if err != nil {
		return nil, &SnapshotError{Kind: ErrWriter, Err: err}
	}
	tmp := f.Name()
	out, err := snapshot(ctx, c, r, ep, f)
	if err == nil {
		if serr := f.Sync(); serr != nil {
			err = &SnapshotError{Kind: ErrWriter, Err: serr, Written: out.Size}
		}
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = &SnapshotError{Kind: ErrWriter, Err: cerr, Written: out.Size}
	}
	if err == nil {
		if rerr := os.Rename(tmp, r.file); rerr != nil {
			err = &SnapshotError{Kind: ErrWriter, Err: rerr, Written: out.Size}
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	return out, nil
}
