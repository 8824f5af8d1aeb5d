// Package maintenance runs etcd's maintenance calls: member status,
// defragmentation, hashes, alarms, leader transfer, cluster downgrades and
// snapshots (etcd's Maintenance service).
//
// Every call is a package function that takes a connection and a Request,
// so that registry.Call can run it by name:
//
//	st, err := maintenance.Status(ctx, c, maintenance.New().WithEndpoint("10.0.0.2:2379"))
//	_, err = maintenance.Defragment(ctx, c, maintenance.New().WithEndpoint(ep).WithTimeout(time.Minute))
//	_, err = maintenance.Snapshot(ctx, c, maintenance.New().WithFile("backup.db"))
//	alarms, err := registry.Call(ctx, maintenance.Alarms, maintenance.On("main"))
//
// A Request is an immutable value; each call uses some of its options and
// rejects the others. Bad input fails with a *kv.FieldError matching
// kv.ErrInvalidRequest that names the field, and nothing is sent.
//
// # One chosen member
//
// Status, Defragment, HashKV, Hash and Snapshot report on or act on one
// member, and MoveLeader must reach the leader. WithEndpoint names the
// member by a client URL or host:port, as membership.Member.ClientURLs
// lists them. Without it the connection's balancer picks a member.
//
// A call WithEndpoint goes through a connection to that endpoint alone. If
// the connection was opened on that endpoint alone, that is the connection
// itself. Otherwise the connection opens a second connection to the
// endpoint on first use, with its own configuration (TLS, user and
// password, limits, backoff, dial options, logger), and keeps it for later
// calls to the same endpoint, so a status table refreshed every second
// dials (and, with auth, authenticates) once per member, not once per
// call. A second connection no call has used for two minutes is closed (a
// member that went away is not redialled for ever); the next call to its
// endpoint opens a new one. The endpoint need not be one of the
// connection's endpoints. Opening it waits for the endpoint to become
// ready up to the configuration's DialTimeout, the call's context and its
// WithTimeout, which bounds the whole call, opening included; an endpoint
// that cannot be reached fails the call with conn.ErrUnavailable.
// Closing the connection closes these connections too.
//
// # Snapshots
//
// Snapshot streams one member's database to an io.Writer (WithWriter) or a
// file (WithFile). etcd sends the database and then its SHA-256; Snapshot
// hashes what it writes, compares, and writes the checksum after the
// database, so the output is the file etcdctl snapshot save writes and
// etcdutl snapshot restore restores (checking the hash again). A mismatch
// fails with ErrChecksum, a stream cut short with ErrIncomplete, a failing
// writer with ErrWriter; each is a *SnapshotError that says how many bytes
// reached the writer, and ends the stream at once. WithFile writes to a
// temporary file beside the target and renames it into place only after
// the checksum matched, so a failed snapshot leaves no file. WithProgress
// reports the bytes received against the size etcd announced.
// VerifySnapshot checks a saved snapshot offline.
//
// # Reads and writes
//
// Status, HashKV, Hash, Alarms, DowngradeValidate and Snapshot change
// nothing. Defragment, Disarm, DisarmAll, MoveLeader, DowngradeEnable and
// DowngradeCancel are writes: a failure after the request left the client
// that leaves their fate unknown matches conn.ErrUnknownOutcome, and they
// are never retried. Server errors are *conn.Error matching conn's
// sentinels (conn.ErrNotLeader, conn.ErrBadLeaderTransferee,
// conn.ErrInvalidDowngradeTargetVersion, ...).
//
// Results keep etcd's response header (conn.Header), and the per-member
// calls say which endpoint they went to.
package maintenance
