// Package bench measures getcd beside the official etcd Go client
// (go.etcd.io/etcd/client/v3) and the raw generated gRPC stubs
// (etcdserverpb.NewKVClient with prebuilt messages, the floor: no client
// library at all) against one etcd server that runs as a separate process,
// so that the server's CPU is never counted as the client's.
//
// Each Workload (put, get, get by prefix, txn, delete, ...) is run by every
// client kind at every concurrency level, interleaved: for one workload and
// one concurrency the three clients run back to back, in an order that
// rotates per round, so that drift on a noisy machine hits all three alike.
// Concurrency N is N goroutines sharing one connection per client kind.
//
// Each cell (workload, concurrency, client) reports throughput, client CPU
// per operation (the process's own user+sys time from getrusage; the server
// is another process), allocations and bytes per operation (runtime.MemStats
// deltas around the measured phase) and p50/p99 latency. The report is a
// markdown table plus the ratios getcd/official and getcd/raw, and an SVG
// chart of the ratios.
//
// Two more getcd kinds run some workloads: GetcdGen (etcd's generated
// messages instead of getcd's codec) the key-value ones, and GetcdCoalesce
// (conn.Config.Coalescing on) those whose getcd side is a Get, Put or
// Delete; its cells also record what the coalescing did (Stats.Coalesce),
// and the report compares its throughput with raw gRPC, the official
// client and getcd in a table and a chart of its own.
//
// The command is ../cmd/bench; Main is its whole body, so that the test of
// this package runs it end to end in its quick mode.
//
// # Adding a workload
//
// A workload is one small file with an init function that calls Register
// with a Workload: a name, an optional Setup, and one NewOp per client kind.
// A NewOp runs before the measurement and returns the operation that one
// goroutine repeats; anything it prebuilds (requests, messages, keys) is
// outside the measured phase, as a user's long-lived request would be.
package bench
