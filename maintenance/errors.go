package maintenance

import (
	"errors"
	"strconv"
)

// Sentinels of a failed Snapshot, matched with errors.Is. The error is a
// *SnapshotError.
var (
	// ErrChecksum: the SHA-256 of the database bytes received differs from
	// the checksum etcd sent after them. The snapshot is corrupt.
	ErrChecksum = errors.New("maintenance: snapshot checksum mismatch")
	// ErrIncomplete: the stream ended before all the bytes etcd announced,
	// or before its checksum, arrived.
	ErrIncomplete = errors.New("maintenance: snapshot incomplete")
	// ErrWriter: the writer (or the file) failed; the error also matches
	// the writer's own error.
	ErrWriter = errors.New("maintenance: snapshot writer failed")
)

// SnapshotError is a snapshot that failed on the client: it was corrupt,
// incomplete, or could not be written. Errors from the server or the
// network are *conn.Error instead.
type SnapshotError struct {
	Kind    error  // ErrChecksum, ErrIncomplete or ErrWriter
	Err     error  // the writer's or file's error for ErrWriter, else nil
	Detail  string // what was found
	Written int64  // bytes handed to the writer before the failure; they must be discarded
}

func (e *SnapshotError) Error() string {
	if e == nil {
		return "maintenance: <nil>"
	}
	s := "maintenance: snapshot failed"
	if e.Kind != nil {
		s = e.Kind.Error()
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + " (" + strconv.FormatInt(e.Written, 10) + " bytes written; discard them)"
}

// Unwrap returns the sentinel and the writer's error, so errors.Is matches
// both.
func (e *SnapshotError) Unwrap() []error {
	if e == nil {
		return nil
	}
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
