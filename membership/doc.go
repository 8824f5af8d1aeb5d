// Package membership changes and lists the members of an etcd cluster
// (etcd's Cluster service: member list, add, add as learner, remove, update
// peer URLs, promote).
//
// The package is named membership rather than cluster or member: both are
// common variable names in code that manages etcd (for _, member := range
// ...), and a variable of the package's name would hide it.
//
// Every call is a package function that takes a connection and a Request,
// so that registry.Call can run it by name:
//
//	resp, err := membership.Add(ctx, c, membership.New().WithPeerURLs("http://10.0.0.4:2380").AsLearner())
//	...
//	_, err = membership.Promote(ctx, c, membership.New().WithID(resp.Member.ID))
//	_, err = registry.Call(ctx, membership.List, membership.On("main"))
//
// A Request is an immutable value; each call uses some of its options and
// rejects the others. Bad input (no member ID, no or an empty peer URL, a
// URL etcd would refuse, an option the call does not use) fails with a
// *kv.FieldError that matches kv.ErrInvalidRequest and names the field, and
// nothing is sent.
//
// Errors from etcd come back as *conn.Error matching conn's sentinels:
// conn.ErrMemberNotFound for an unknown ID, conn.ErrPeerURLExist,
// conn.ErrLearnerNotReady while a learner catches up, conn.ErrMemberNotLearner,
// conn.ErrTooManyLearners, conn.ErrMemberBadURLs. List is a read; Add,
// Remove, Update and Promote are writes: a failure after the request left
// the client that leaves their fate unknown matches conn.ErrUnknownOutcome,
// and they are never retried.
//
// Results keep etcd's response header (conn.Header) and list the members
// after the change.
package membership
