package maintenance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
)

// Progress is how far a snapshot has come.
type Progress struct {
	// Received is the number of snapshot bytes received so far.
	Received int64
	// Total is the snapshot's full size: the database size etcd announced
	// in its first message plus the 32-byte checksum. Zero when unknown.
	Total int64
}

// sink checks and writes a snapshot stream: etcd sends the database and
// then its SHA-256, so the last 32 bytes seen so far may be the checksum
// and are held back until more arrive. At the end they are compared with
// the hash of everything before them and, if they match, written too, so
// the output is a snapshot file as etcd's own tools write and restore it.
type sink struct {
	w        io.Writer
	progress func(Progress)

	h       hash.Hash
	tail    [sha256.Size]byte
	ntail   int
	buf     []byte
	written int64 // bytes handed to w
	recv    int64 // bytes received
	total   int64 // expected size with the checksum; 0 until known
}

func newSink(w io.Writer, progress func(Progress)) *sink {
	return &sink{w: w, progress: progress, h: sha256.New()}
}

// announce records the database size etcd announced.
func (s *sink) announce(dbSize int64) {
	if s.total == 0 {
		s.total = dbSize + sha256.Size
	}
}

// add takes the next bytes of the stream.
func (s *sink) add(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	s.recv += int64(len(b))
	n := s.ntail + len(b)
	if n <= sha256.Size {
		copy(s.tail[s.ntail:], b)
		s.ntail = n
		s.report()
		return nil
	}
	// Everything but the last 32 bytes is database: the held-back tail,
	// then b without its last 32 bytes (or less of the tail when b is
	// shorter than 32 bytes).
	out := n - sha256.Size
	s.buf = s.buf[:0]
	if out <= s.ntail {
		s.buf = append(s.buf, s.tail[:out]...)
		rest := append(s.tail[out:s.ntail:s.ntail], b...)
		s.ntail = copy(s.tail[:], rest)
	} else {
		s.buf = append(s.buf, s.tail[:s.ntail]...)
		s.buf = append(s.buf, b[:len(b)-sha256.Size]...)
		s.ntail = copy(s.tail[:], b[len(b)-sha256.Size:])
	}
	if err := s.write(s.buf); err != nil {
		return err
	}
	s.report()
	return nil
}

func (s *sink) write(p []byte) error {
	s.h.Write(p)
	n, err := s.w.Write(p)
	s.written += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return &SnapshotError{Kind: ErrWriter, Err: err, Written: s.written}
	}
	return nil
}

func (s *sink) report() {
	if s.progress != nil {
		s.progress(Progress{Received: s.recv, Total: s.total})
	}
}

// finish checks the held-back checksum against the hash of the database
// bytes and writes it. It returns the checksum.
func (s *sink) finish() ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	db := s.recv - int64(s.ntail)
	switch {
	case s.ntail < sha256.Size:
		return sum, &SnapshotError{Kind: ErrIncomplete, Written: s.written,
			Detail: "the stream ended after " + strconv.FormatInt(s.recv, 10) + " bytes, before the 32-byte checksum"}
	case s.total != 0 && s.recv != s.total:
		return sum, &SnapshotError{Kind: ErrIncomplete, Written: s.written,
			Detail: "received " + strconv.FormatInt(s.recv, 10) + " bytes, etcd announced " + strconv.FormatInt(s.total, 10)}
	}
	got := s.h.Sum(nil)
	if !bytes.Equal(got, s.tail[:]) {
		return sum, &SnapshotError{Kind: ErrChecksum, Written: s.written,
			Detail: "sha256 of " + strconv.FormatInt(db, 10) + " database bytes is " + hex.EncodeToString(got) + ", etcd sent " + hex.EncodeToString(s.tail[:])}
	}
	copy(sum[:], s.tail[:])
	n, err := s.w.Write(s.tail[:])
	s.written += int64(n)
	if err == nil && n < sha256.Size {
		err = io.ErrShortWrite
	}
	if err != nil {
		return sum, &SnapshotError{Kind: ErrWriter, Err: err, Written: s.written}
	}
	return sum, nil
}

// VerifySnapshot reads a snapshot file as Snapshot (or etcdctl snapshot
// save) writes it, the database followed by its SHA-256, and checks the
// checksum. It returns the snapshot's size in bytes. A file that does not
// end with the right checksum fails with ErrChecksum (or ErrIncomplete when
// it is shorter than a checksum). A nil r is an invalid request: a
// *kv.FieldError matching kv.ErrInvalidRequest.
func VerifySnapshot(r io.Reader) (int64, error) {
	if r == nil {
		return 0, invalid("verify_snapshot", "reader", "must not be nil")
	}
	s := newSink(io.Discard, nil)
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if aerr := s.add(buf[:n]); aerr != nil {
			return s.recv, aerr
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.recv, fmt.Errorf("maintenance: verify snapshot: %w", err)
		}
	}
	if _, err := s.finish(); err != nil {
		return s.recv, err
	}
	return s.recv, nil
}
