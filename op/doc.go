// Package op turns getcd requests into transaction operations and builds
// transactions.
//
// Put, Get and Delete wrap a [kv.Request]; Nested wraps a transaction. A
// transaction reads like the sentence it stands for:
//
//	op.If(compare.Key("k").ModRevision(compare.Equal, rev)).
//		Then(op.Put(kv.New().WithKey("k").WithValue("new"))).
//		Else(op.Get(kv.New().WithKey("k")))
//
// Txn values are immutable: If, Then and Else return a new Txn and never
// write into a slice another Txn can see, so a base transaction can be
// extended by many goroutines at once. Compile validates every condition and
// operation, the number of entries per branch against WithMaxOps (etcd's
// --max-txn-ops, 128 by default), and that no branch writes a key twice,
// before it returns a fresh *pb.TxnRequest.
//
// # Writes that overlap
//
// etcd runs one transaction as one revision and allows one write of a key in
// it. Compile refuses, with an *OverlapError, a transaction in which two
// writes that may run together write a common key:
//
//   - two puts of one key;
//   - a put of a key that a delete removes, whatever the delete's range: one
//     key, [key, end), a prefix (a key ending in 0xff bytes included), every
//     key from a key on (WithFromKey, or WithPrefix of a key made only of 0xff
//     bytes), or every key (WithAll, WithPrefix or WithFromKey of the empty
//     key). The order does not matter: a put before the delete is refused as
//     well as one after it.
//
// Which writes may run together: the success and the failure branch of a
// transaction never run together, so each is checked on its own, and
// likewise the two branches of every nested transaction. Any other two
// writes of one branch may, wherever they sit: beside each other, one in the
// branch and one in a nested transaction of it, or in two nested
// transactions of it, at any depth and in either branch of each.
//
// What stays allowed: deletes whose ranges overlap each other, reads
// anywhere (a get of a key that is also put or deleted), conditions on any
// key, a put in one branch and a write of the same key in the other branch
// (of the transaction or of a nested one), and writes of distinct keys.
//
// These are the rules of etcd's own check, the duplicate-key check that the
// gRPC layer runs before a transaction is proposed (checkIntervals in
// server/etcdserver/api/v3rpc/key.go, read at v3.7.3), which refuses a
// transaction with "duplicate key given in txn request". That check has two
// known gaps, and getcd closes both on the client:
//
//   - It builds a delete's interval from range_end as given, so a range end
//     of "\x00" (every key from the key on, and with key "\x00" every key)
//     becomes an empty interval and the delete overlaps nothing
//     (etcd-io/etcd#22445; the fix, etcd-io/etcd#22395, is not released). The
//     execution path does read "\x00" as "to the end" (mkGteRange in
//     server/etcdserver/txn/delete.go), so such a transaction deletes and
//     re-creates a key in one revision, a state compaction can lose
//     (etcd-io/etcd#22376). Worse, a put with WithIgnoreValue or
//     WithIgnoreLease after such a delete of its key passes the pre-apply
//     check (checkTxn in server/etcdserver/txn/txn.go looks at the store as
//     it was before the transaction) and then finds no previous value while
//     applying (put in server/etcdserver/txn/put.go), which panics the server.
//   - It checks the puts of a nested transaction only against the deletes
//     seen before it, so a put in one nested transaction and a delete of that
//     key in a later nested transaction of the same branch pass
//     (etcd-io/etcd#16380).
//
// The error matches ErrInvalidRequest rather than conn.ErrDuplicateKey:
// the request is refused before anything is sent, like every other invalid
// request, and conn.ErrDuplicateKey keeps meaning that a server refused one.
// errors.As finds it both as an *OverlapError, which names the two
// operations, and as a *FieldError, whose Field is the position of the
// later one.
//
// The check reads the compiled message, so it judges exactly the bytes that
// would be sent, and allocates nothing: small transactions are checked pair
// by pair on the stack, bigger ones through a hash table of their keys (or
// by sorting them, when many deletes cover a range) in memory reused from a
// pool.
package op
