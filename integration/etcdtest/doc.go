// Package etcdtest starts real etcd servers for integration tests and
// benchmarks. There is no mock: every Server is a real etcd, either
//
//   - embedded in the test process (Start, StartShared), through
//     go.etcd.io/etcd/server/v3/embed, which is the fastest way to get a
//     single-member cluster; or
//   - a separate OS process (StartProcess, StartProcessShared) running the
//     binary that BuildEtcd builds from ../cmd/etcd, for benchmarks and for
//     tests that must not share a process (or a CPU profile) with the server;
//   - or an external cluster named by the ETCD_ENDPOINTS environment variable
//     (see External).
//
// A Cluster (StartCluster) is several member processes on loopback, each
// behind a Proxy on its client port and one on its peer port, which it
// advertises; clients and peers reach it only through them. Faults: Kill,
// Stop and Restart on the same data directory, Pause and Resume
// (SIGSTOP/SIGCONT), Cluster.IsolatePeers (cut from the other members while
// clients still reach it), and on either proxy Cut, Blackhole, Delay, Drop
// and CloseConnections, per direction. Member.DirectEndpoint bypasses the
// client proxy.
//
// A ContainerCluster (StartContainerCluster) is the same cluster in Docker
// containers through testcontainers-go: an image built locally FROM scratch
// around a static build of ../cmd/etcd (ContainerImage, built once per run
// and kept), the reaper disabled, readiness on etcd's "ready to serve
// client requests" log line, an internal peer network the cluster creates
// (ContainerMember.Disconnect cuts a member from its peers, its clients
// still reach it) and a stable host Proxy in front of each member, since a
// restarted container gets a new host port. Without a Docker daemon the
// test is skipped with one line saying so.
//
// Every server listens on free loopback ports only (127.0.0.1), keeps its data
// in a temporary directory and logs only errors. Start and StartProcess
// register a tb.Cleanup that stops the server and waits for it; the *Shared
// variants return a stop function for a TestMain instead.
//
// # Options
//
// With no Option a default single-member server is started (plain-text
// client port, simple auth tokens, etcd's default limits). Options ask for a
// dedicated server with TLS (WithTLS, WithClientCertAuth), another auth token
// kind or lifetime (WithAuthToken, WithTokenTTL) or other request limits
// (WithMaxTxnOps, WithMaxRequestBytes).
//
// # External clusters
//
// When ETCD_ENDPOINTS is set (a comma-separated list such as
// "127.0.0.1:2379,127.0.0.1:22379"), every server asked for without an
// Option is that external cluster instead: nothing is started and nothing is
// stopped. A server asked for with an Option that needs a dedicated server
// (all of the Options above) is still started locally, because an external
// cluster cannot be reconfigured. Tests that run against an external cluster
// must therefore use unique key prefixes and must not assume an empty
// keyspace.
//
// # Goroutine leaks
//
// Stopping an embedded server waits for all of its goroutines, so packages
// using this one can (and should) run goleak.VerifyTestMain in their
// TestMain.
//
// While an embedded server runs, its goroutines are the test process's
// too, and it starts and ends its side of each connection and stream on
// its own schedule. A check inside a test that the goroutines a client
// started have ended therefore uses SnapshotGoroutines and Leaked instead
// of goleak.IgnoreCurrent: they count only the goroutines that are not the
// server's, and give those that are ending a bounded time to end.
package etcdtest
