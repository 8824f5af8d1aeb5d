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
// operation, and the number of entries per branch against WithMaxOps (etcd's
// --max-txn-ops, 128 by default), before building a fresh *pb.TxnRequest.
package op
