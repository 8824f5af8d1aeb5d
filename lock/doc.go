// Package lock is a distributed mutex on etcd: a fair lock held by a
// lease.Session, with a fencing token and a guard for your own
// transactions, on the same keys as etcd's own recipes so that getcd,
// clientv3's concurrency.Mutex and etcd's Lock service exclude each other;
// and thin calls for etcd's server-side Lock service.
//
//	s, err := lease.NewSession(ctx, c, lease.TTL(10))
//	defer s.Close()
//	m, err := lock.Lock(ctx, c, lock.New("locks/report").WithSession(s))
//	defer m.Unlock(ctx)
//	// Write only while the lock is held:
//	_, err = c.Txn(ctx, op.If(m.Guard()).Then(op.Put(kv.New().WithKey("report").WithValue(v))))
//
// # Why fencing
//
// A lock held through a lease is a lease, not a promise. A holder that
// stalls (a long garbage collection, a paused VM, a partition) for longer
// than its TTL loses its key to the server while it still believes it holds
// the lock, and a second holder takes over. Every distributed lock has this
// window; checking "am I still the owner?" before writing only narrows it,
// because the answer may be stale by the time the write arrives. The fix is
// to let the store refuse the stale write: Guard is the comparison "the
// holder's key still has the create revision it was locked with", and a
// transaction that carries it writes only if the lock is held at the moment
// the server applies it, whatever the client believes. Token (that create
// revision) is the fencing token: every later acquisition of the lock has a
// higher one, so a resource outside etcd can remember the highest token it
// has seen and refuse older ones. integration/locktest shows both sides: with
// the guard, concurrent increments under the lock lose nothing; without it,
// a holder whose lease was revoked behind its back overwrites its
// successor's work.
//
// # Keys
//
// The lock named prefix is a set of keys prefix/<lease ID in lowercase hex>,
// one per holder or waiter, each created with its session's lease and an
// empty value, exactly as etcd's concurrency.Mutex and its Lock service
// create them (a prefix ending in "/" gets a second "/" in both). The key
// with the lowest create revision holds the lock; the others wait in the
// order of their create revisions.
//
// # Taking the lock
//
// Lock sends one transaction: create the key if this session does not have
// it yet, and read the first key of the prefix. If the first key is its
// own, it holds the lock: an uncontended Lock is one round trip. Otherwise
// it waits, fairly and without a herd: it reads the last key created before
// its own and watches that key alone (package watch, on the connection's
// shared watch stream) until it is deleted, then reads again; when no
// earlier key is left, the lock is its. Releasing a lock wakes exactly one
// waiter.
//
// TryLock sends the same transaction and, when another key is first,
// deletes its own key and fails with ErrLocked.
//
// A waiter whose context ends deletes its key before it returns, with a
// delete guarded by the key's create revision; a waiter whose creating
// transaction had an unknown outcome looks the key up and deletes it if it
// exists. These cleanups run even though the context ended, bounded by the
// session's TTL, and are retried while their outcome is unknown (the guard
// makes that safe). If they fail, the key still goes with the lease.
//
// # Same session, same prefix
//
// As in etcd's recipe, a session has one key per prefix: a second Lock of
// the same prefix on the same session finds the key and shares it (it
// returns at once if the key holds the lock, and otherwise waits with it).
// The lock is not counted: either handle's Unlock deletes the key; the
// other handle's Guard stops matching, and it sees the deletion and ends
// lost, with ErrKeyDeleted. To exclude two goroutines of one process from
// each other, give them a session each.
//
// # States of a Mutex
//
//   - held: Lock or TryLock returned it; Err is nil;
//   - unlocked: Unlock deleted the key; Done is closed, Err is ErrUnlocked;
//   - lost: the key was deleted by anyone but this handle's Unlock (another
//     client, the other handle of a shared key, the server when the lease
//     was revoked or expired), the session lost its lease or ended (closed,
//     its connection closed), or the watch on the key could not go on (the
//     connection closed); Done is closed and Err is a *LostError matching
//     ErrLost and its cause (ErrKeyDeleted, lease.ErrLeaseLost,
//     lease.ErrRevoked, lease.ErrSessionClosed, ...), with the revision of
//     the deletion when one was seen.
//
// Unlock deletes the key with the guard; when its outcome is unknown it
// returns an error matching conn.ErrUnknownOutcome and the Mutex stays held:
// call Unlock again, or let the lease take the key. A deletion of the key
// seen after such an outcome ends the Mutex as unlocked (ErrUnlocked): most
// likely it was that delete.
//
// # How loss is reported
//
// Each Mutex runs one goroutine that follows its session and watches its
// key, on the connection's shared watch stream, from the revision the lock
// was acquired at; the watch resumes across reconnects, member restarts and
// failovers without a gap, so a deletion is never missed. Loss is never
// guessed: it is reported when the server says the key is gone (a deletion
// event, or a read after a compaction) or the session says its lease is.
// When the key was deleted, the cause is the session's loss if the lease is
// gone too (the goroutine asks the server, and waits at most the lease's
// TTL, within [1s, 10s], for the session to say why), and ErrKeyDeleted if
// the lease lives: someone deleted the key. Unlock's own delete is never
// reported as a loss: Err is ErrUnlocked. A holder cut off from the cluster learns of its loss only
// when it reaches the cluster again; meanwhile its guarded writes cannot
// succeed, which is what the guard is for. A session WithRecovery replaces
// a lost lease, but not the locks of the old one: they are lost, and must
// be taken again.
//
// # Server-side Lock service
//
// ServerLock and ServerUnlock call etcd's Lock service (v3lockpb.Lock),
// which runs the same recipe inside the server for a lease you give it; the
// key it returns is prefix/<lease in hex> too. Its messages are encoded by
// getcd (the generated types exist only in etcd's server module) and
// checked byte for byte against etcd's in the integration tests. ServerLock
// is a write whose failure after sending is reported as maybe applied
// (conn.ErrUnknownOutcome), except for a lease the server does not have: see
// ServerLock.
//
// # By connection name
//
// Lock, TryLock, ServerLock and ServerUnlock have the shape registry.Call
// runs by the connection name the request carries:
//
//	m, err := registry.Call(ctx, lock.Lock, lock.New("locks/report").WithSession(s).On("main"))
//
// # Goroutines
//
// A held Mutex runs one goroutine that follows its session and watches its
// key; it ends when the Mutex ends (Unlock, loss, the session's end), and
// Unlock returns after it. A waiting Lock runs one more while it waits.
// Closing the session or the connection ends them all.
package lock
