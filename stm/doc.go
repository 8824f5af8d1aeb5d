// Package stm is software transactional memory on etcd: a function reads
// and writes keys through a transaction object as if it were alone, and
// Run commits what it did in one etcd transaction, built with the compare
// and op builders, that checks nothing it depended on changed. On a
// conflict the function runs again, a bounded number of times.
//
//	req := stm.New(func(ctx context.Context, tx *stm.Tx) error {
//		v, err := tx.Get(ctx, "counter")
//		if err != nil {
//			return err
//		}
//		n, _ := strconv.Atoi(v) // "" (missing) counts as 0
//		tx.Put("counter", strconv.Itoa(n+1))
//		return nil
//	})
//	res, err := stm.Run(ctx, c, req)
//
// # Attempts
//
// Each attempt calls the function with a fresh *Tx. Reads (Get, Lookup,
// Range, Prefix) go to the store, or are served from what an earlier read
// of the attempt, the prefetch or the last conflict already read, and are
// recorded. Writes (Put, PutWithLease, Delete) are buffered; later reads in
// the attempt see them (read your writes), and the commit applies them.
// When the function returns nil, Run sends the commit: one transaction
// whose conditions check the reads and whose success branch applies the
// writes. If a condition fails, its failure branch reads again every key
// the attempt read, which tells which keys changed (Retry.Keys,
// ConflictError.Keys). After the pause that follows (see Backoff) those
// keys are read afresh in one round trip, and the next attempt's reads of
// them are served from that read.
//
// # Isolation levels
//
// The four levels are etcd's, with the semantics its documentation gives
// them (the official client's concurrency.STM):
//
//   - SerializableSnapshot (the default): every read of an attempt is at
//     the revision of its first read (a linearizable read), so the
//     function sees one consistent snapshot. The commit holds only if no
//     key read and no key written changed since that snapshot: the
//     transaction takes effect as if it ran alone at the snapshot, and two
//     transactions that write the same key never both commit from the same
//     snapshot.
//   - Serializable: reads as above; the commit checks only the keys read. A
//     key written without being read may have changed since the snapshot
//     and is overwritten.
//   - RepeatableReads: each key is read once per attempt, at the newest
//     revision of the member that serves it; reading it again returns the
//     same data. Different keys may come from different revisions, so
//     within an attempt the function may see a state that never existed
//     (a transfer half applied); such an attempt cannot commit, since the
//     commit checks that every key read is unchanged.
//   - ReadCommitted: each read returns the newest value the member serving
//     it has, even if the same key was read before (reads need not repeat).
//     The commit checks nothing, so it never conflicts: concurrent
//     read-modify-writes can lose updates and write skew is possible.
//
// What a commit guarantees: at the three validating levels every key the
// attempt read still had the value it read when the writes were applied,
// so the committed transactions are serializable, in the order of their
// commit revisions. They differ in what the function may observe during
// an attempt that then fails (a mixed state at RepeatableReads) and in
// whether blind writes (keys written but not read) are checked
// (SerializableSnapshot only).
//
// A transaction that wrote nothing needs no commit at the serializable
// levels (its reads are one snapshot) nor at ReadCommitted; at
// RepeatableReads its reads are checked by a transaction that writes
// nothing.
//
// # Range reads
//
// Prefix and Range read many keys at once, at every level, with the
// transaction's pending writes applied. At the validating levels a range
// read is checked at commit by one condition on the range (every key in it
// has a mod revision at most the read's revision: no key changed or was
// created since) and one per key it returned (the same mod revision: none
// was deleted). A range read therefore adds its number of keys plus one to
// the commit's conditions, and the commit must fit in the server's
// --max-txn-ops (WithMaxOps); a larger one is refused before it is sent,
// with an error matching ErrInvalidRequest. Keys inside a range already
// read, and ranges inside it, are served from that read.
//
// # Bounds and errors
//
// Run makes at most WithMaxAttempts attempts (DefaultMaxAttempts unless
// set), pausing between them as Backoff says (exponential, with full
// jitter), and the context bounds everything: reads, the commit and the
// pauses. What Run returns:
//
//   - nil, with Result.Committed set, the commit's revision and the number
//     of attempts;
//   - the function's own error, unchanged, when it returns one: nothing is
//     written;
//   - a *ConflictError (errors.Is(err, ErrConflict)) with the number of
//     attempts and the keys the last one found changed, when every attempt
//     conflicted: nothing is written;
//   - an error matching conn.ErrUnknownOutcome when the commit was sent and
//     its fate is unknown: it may or may not have been applied, and Run
//     does not run the function again;
//   - any other error of a read or of the commit (conn's typed errors,
//     context.Canceled or context.DeadlineExceeded): nothing is written;
//   - an error matching ErrInvalidRequest, naming the field, for an invalid
//     request, key or lease: nothing is sent.
//
// A read that fails also fails the attempt: Run does not commit it even if
// the function ignores the error. The one failure Run retries by itself is
// a read at the snapshot revision after that revision was compacted: the
// attempt runs again from a fresh snapshot.
//
// The function runs on the goroutine that called Run, never on another; a
// panic in it propagates through Run unchanged and nothing is written. It
// may run more than once, so it should have no effects outside the
// transaction, or only ones that are safe to repeat.
//
// # Running by name
//
// Run has the shape func(context.Context, *conn.Conn, Request) (Result,
// error) and Request has a Conn method, so a request built with On(name,
// fn) or WithConn(name) runs on a named connection through the registry's
// generic call.
package stm
