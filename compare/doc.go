// Package compare builds the conditions of an etcd transaction.
//
// A condition names what it looks at (Key, Prefix, FromKey or Range), the
// target (Value, Version, CreateRevision, ModRevision or Lease) and an
// operator:
//
//	compare.Key("leader").Value(compare.Equal, "node-1")
//	compare.Key("config").ModRevision(compare.Equal, rev)
//	compare.Prefix("jobs/").Version(compare.GreaterOrEqual, 1)
//
// etcd itself only knows =, !=, > and <; GreaterOrEqual and LessOrEqual on
// the integer targets compile to the equivalent strict comparison. Conditions
// are immutable values and compile (Cond.Compile) to a fresh *pb.Compare;
// an invalid one yields an error matching ErrInvalidRequest that names the
// field.
package compare
