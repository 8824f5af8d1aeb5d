package stm

import "strconv"

// Isolation is how much a transaction is protected from the others running
// at the same time. The levels and their names are etcd's; the zero value is
// SerializableSnapshot, the strongest and the default.
type Isolation int8

// Isolation levels, from the strongest.
const (
	// SerializableSnapshot reads every key at the revision of the
	// attempt's first read, and commits only if nothing it read and nothing
	// it writes changed since that revision.
	SerializableSnapshot Isolation = iota

	// Serializable reads every key at the revision of the attempt's first
	// read, and commits only if nothing it read changed since. A key it
	// writes without reading it may have changed in between.
	Serializable

	// RepeatableReads reads each key at the newest revision the member
	// serving it has, the first time it is read; later reads of the key in
	// the same attempt return the same data. It commits only if nothing it
	// read changed since it was read.
	RepeatableReads

	// ReadCommitted reads each key at the newest revision the member serving
	// it has, every time, and commits without checking anything: its writes
	// may overwrite changes made since its reads.
	ReadCommitted

	numIsolations
)

func (i Isolation) String() string {
	switch i {
	case SerializableSnapshot:
		return "serializable-snapshot"
	case Serializable:
		return "serializable"
	case RepeatableReads:
		return "repeatable-reads"
	case ReadCommitted:
		return "read-committed"
	}
	return "Isolation(" + strconv.Itoa(int(i)) + ")"
}

func (i Isolation) valid() bool { return i >= 0 && i < numIsolations }

// validates says whether the level records its reads and checks them at
// commit.
func (i Isolation) validates() bool { return i != ReadCommitted }

// pinned says whether the level reads at one snapshot revision.
func (i Isolation) pinned() bool { return i == SerializableSnapshot || i == Serializable }
