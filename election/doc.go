// Package election is leader election on etcd: candidates campaign with a
// lease.Session, one of them leads at a time, everyone can ask who leads or
// follow it, and a leader knows when it has lost. The key layout is etcd's
// own (clientv3's concurrency.Election and etcd's server-side Election
// service), so getcd, the official Go client and the server-side service
// campaign in, and observe, the same elections.
//
//	s, err := lease.NewSession(ctx, c, lease.TTL(10))
//	l, err := election.Campaign(ctx, c, election.Name("jobs/leader").WithSession(s).WithValue("node-1"))
//	// leader from here on
//	_, err = c.Txn(ctx, op.If(l.Guard()).Then(op.Put(kv.New().WithKey("jobs/state").WithValue(v))))
//	select {
//	case <-l.Done(): // lost (l.Err()) ...
//	}
//	_, err = l.Resign(ctx)
//
// # Key layout
//
// An election is a name; each candidate is one key under name + "/": the
// session's lease ID in lowercase hex (jobs/leader/694d7d3b11e6e304), put
// with that lease and the candidate's value. The leader is the key with the
// lowest create revision. Campaign creates the key if it is absent (or, if
// the session's key exists from an earlier campaign, proclaims the new
// value in it), then waits until every key created before its own is gone:
// it watches only the key just before its own, so a leader's departure
// wakes one candidate, not all of them. Candidates therefore take over in
// the order they arrived.
//
// # States of a candidate
//
//   - campaigning: the key exists, earlier keys remain; Campaign waits.
//     If its ctx ends, or it fails, it deletes its key again (guarded by
//     its create revision; when even the create's outcome was unknown,
//     guarded by the lease), so nothing is left behind. If the key is
//     deleted meanwhile (the session's lease was lost), Campaign fails with
//     a *LostError.
//   - leading: Campaign returned a *Leadership. Proclaim changes the value
//     observers see; Resign deletes the key and hands over.
//   - ended: Done is closed; Err is ErrResigned after Resign, or a
//     *LostError (ErrLost) when the key was deleted by anyone else or by
//     the server (the lease was revoked or expired, the session closed) or
//     when tracking could not go on (the connection closed).
//
// # Fencing
//
// A leader can be deposed without knowing it yet: a process paused, or cut
// off from the cluster, for longer than its lease's TTL. Acting on "I am
// the leader" is then unsafe. Two things make it safe. The leadership's
// create revision (Leadership.Token, also Rev) is a fencing token, as a
// lock.Mutex's Token is: every later leadership of the election has a
// higher one, so a downstream system that remembers the highest token it
// has seen refuses a deposed leader. And
// Guard is the condition that holds exactly while the leadership does (the
// key exists with that create revision): a transaction built with op.If(
// l.Guard()) writes only while the leadership lasts, whatever the client
// believes. Proclaim and Resign are guarded the same way.
//
// # How loss is reported
//
// Each Leadership runs one goroutine that watches its key, on the
// connection's shared watch stream, from the revision the campaign wrote
// it at; the watch resumes across reconnects, member restarts and
// failovers without a gap, so a deletion is never missed. Loss is never
// guessed: it is reported when the server says the key is gone (a
// deletion event, or a read after a compaction). A leader cut off from
// the cluster therefore learns of its loss when it reaches the cluster
// again; meanwhile its guarded writes cannot succeed. A session with
// recovery (lease.TTL(n).WithRecovery()) replaces a lost lease, but the leadership
// of the lost lease is gone with its key: campaign again under the new one.
//
// # Who leads
//
// Leader reads the current leader (ErrVacant if there is none). Observe
// returns an iterator over the leader's changes: it lists the candidates,
// yields the current leader, then watches the election's prefix and
// yields every change once, in revision order: a new leader, a new value,
// or the election becoming vacant (LeaderInfo.Vacant). Its watch resumes
// from the revision after the last one seen, so a reconnect or a member
// failure neither loses nor repeats a change; if that revision was
// compacted, the candidates are listed again and the difference is
// reported as one change.
//
// # Server-side service
//
// ServerCampaign, ServerProclaim, ServerResign, ServerLeader and
// ServerObserve are thin calls of etcd's server-side Election service
// (v3electionpb), as eetcd offers them: the server runs etcd's recipe on
// the caller's lease, so a client needs nothing but a lease kept alive.
// Its messages are encoded by getcd itself (etcd's generated types live in
// its server module) and checked byte for byte against etcd's in getcd's
// integration tests. The service and the client-side recipe use the same
// layout, so their candidates queue in one election. Track turns the
// LeaderKey a server-side campaign returns (or one saved by an earlier run
// whose lease lives on) into a Leadership that reports its loss.
//
// # Calls, requests, errors
//
// Every call has the shape func(ctx, *conn.Conn, election.Request) and so
// runs by connection name through registry.Call:
//
//	l, err := registry.Call(ctx, election.Campaign, election.Name("jobs").WithSession(s).On("main"))
//
// Requests are immutable values (Name, Of, On, With...). An invalid one (no
// name, no session, a leader key that does not follow the layout, an
// option the call does not use) fails with a *kv.FieldError matching
// kv.ErrInvalidRequest, and nothing is sent. Campaign, Proclaim, Resign and
// their server-side forms are writes: a failure whose fate is unknown
// matches conn.ErrUnknownOutcome; Leader and Observe are reads. Other
// errors are conn's (*conn.Error).
//
// # Goroutines
//
// A Leadership runs one goroutine until it ends; Campaign and Observe run
// in the caller's goroutine and use the connection's shared watch stream.
// Closing the connection ends them all.
package election
