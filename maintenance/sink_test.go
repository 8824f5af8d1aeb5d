package maintenance

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// stream returns a database of n bytes followed by its SHA-256, as etcd
// sends it.
func stream(n int) (db, all []byte) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	db = make([]byte, n)
	for i := range db {
		db[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(db)
	return db, append(bytes.Clone(db), sum[:]...)
}

// feed splits all into chunks of the given sizes (cycled) and runs them
// through a sink into w.
func feed(s *sink, all []byte, sizes []int) error {
	for i := 0; len(all) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(all))
		if err := s.add(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// The sink writes the database and the checksum, whatever the chunking
// (chunks shorter than, equal to and longer than the checksum, and empty
// ones), and reports progress up to the announced total.
func TestSinkChunking(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 4096, 100000} {
		db, all := stream(n)
		for _, sizes := range [][]int{{1}, {7, 0, 40}, {32}, {31, 33}, {4096}, {1 << 20}} {
			var out bytes.Buffer
			var last Progress
			calls := 0
			s := newSink(&out, func(p Progress) { last = p; calls++ })
			s.announce(int64(n))
			if err := feed(s, all, sizes); err != nil {
				t.Fatalf("n=%d sizes=%v: %v", n, sizes, err)
			}
			sum, err := s.finish()
			if err != nil {
				t.Fatalf("n=%d sizes=%v: %v", n, sizes, err)
			}
			if !bytes.Equal(out.Bytes(), all) {
				t.Fatalf("n=%d sizes=%v: wrote %d bytes, want the %d of the stream", n, sizes, out.Len(), len(all))
			}
			if sum != sha256.Sum256(db) || s.written != int64(len(all)) {
				t.Fatalf("n=%d sizes=%v: sum %x written %d", n, sizes, sum, s.written)
			}
			if calls == 0 || last != (Progress{Received: int64(len(all)), Total: int64(len(all))}) {
				t.Fatalf("n=%d sizes=%v: last progress %+v after %d calls", n, sizes, last, calls)
			}
		}
	}
}

// One flipped bit anywhere, in the database or in the checksum, fails
// with ErrChecksum; the checksum is then not written.
func TestSinkCorrupt(t *testing.T) {
	_, all := stream(5000)
	for _, at := range []int{0, 2500, 4999, 5000, 5031} {
		bad := bytes.Clone(all)
		bad[at] ^= 0x10
		var out bytes.Buffer
		s := newSink(&out, nil)
		s.announce(5000)
		if err := feed(s, bad, []int{1000}); err != nil {
			t.Fatal(err)
		}
		_, err := s.finish()
		var se *SnapshotError
		if !errors.Is(err, ErrChecksum) || !errors.As(err, &se) {
			t.Fatalf("flip at %d: err = %v, want ErrChecksum", at, err)
		}
		if se.Written != 5000 || out.Len() != 5000 {
			t.Errorf("flip at %d: written %d, buffer %d, want the 5000 database bytes only", at, se.Written, out.Len())
		}
	}
}

// A stream that ends early fails with ErrIncomplete.
func TestSinkIncomplete(t *testing.T) {
	_, all := stream(5000)
	for _, tc := range []struct {
		name     string
		announce int64
		data     []byte
	}{
		{"shorter than a checksum", 5000, all[:20]},
		{"nothing", 5000, nil},
		{"short of the announced size", 5000, all[:len(all)-100]},
		{"longer than announced", 4000, all},
	} {
		s := newSink(io.Discard, nil)
		s.announce(tc.announce)
		if err := s.add(tc.data); err != nil {
			t.Fatal(err)
		}
		if _, err := s.finish(); !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: err = %v, want ErrIncomplete", tc.name, err)
		}
	}
}

type failingWriter struct {
	n     int // bytes accepted before failing
	short bool
}

var errDisk = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	if w.short {
		return n, nil
	}
	return n, errDisk
}

// A writer that fails midway, with an error or a short write, ends the
// sink with ErrWriter matching the writer's error, and counts what it
// took.
func TestSinkWriterFails(t *testing.T) {
	_, all := stream(10000)
	for _, w := range []*failingWriter{{n: 3000}, {n: 3000, short: true}, {n: 10000}} {
		s := newSink(w, nil)
		s.announce(10000)
		err := feed(s, all, []int{1024})
		if err == nil {
			_, err = s.finish()
		}
		var se *SnapshotError
		if !errors.Is(err, ErrWriter) || !errors.As(err, &se) || se.Written != 3000 && se.Written != 10000 {
			t.Fatalf("writer %+v: err = %v", w, err)
		}
		if !w.short && !errors.Is(err, errDisk) {
			t.Errorf("err = %v, does not match the writer's error", err)
		}
		if w.short && !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("err = %v, want io.ErrShortWrite", err)
		}
	}
}

func TestVerifySnapshot(t *testing.T) {
	_, all := stream(9000)
	n, err := VerifySnapshot(bytes.NewReader(all))
	if err != nil || n != int64(len(all)) {
		t.Fatalf("VerifySnapshot = %d, %v", n, err)
	}
	bad := bytes.Clone(all)
	bad[10] ^= 1
	if _, err := VerifySnapshot(bytes.NewReader(bad)); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupt: %v, want ErrChecksum", err)
	}
	if _, err := VerifySnapshot(bytes.NewReader(all[:30])); !errors.Is(err, ErrIncomplete) {
		t.Errorf("short: %v, want ErrIncomplete", err)
	}
	if _, err := VerifySnapshot(io.MultiReader(bytes.NewReader(all[:100]), errReader{})); !errors.Is(err, errDisk) {
		t.Errorf("read error: %v, want it passed on", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errDisk }
