package etcdtest

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// runID is chosen once per test process, so that two processes sharing an
// external cluster, or two runs of one package against it, use different
// keys.
var runID = strconv.FormatUint(rand.Uint64(), 36)

var (
	// prefixes counts the prefixes handed out by this process, so that
	// each round of `go test -count=N` gets keys of its own.
	prefixes atomic.Uint64
	// given holds the prefix of each running test (testing.TB -> string).
	given sync.Map
)

// KeyPrefix returns a key prefix that no other test, no other round of the
// same test (go test -count=N) and no other test process uses:
// "<name>/<run>.<n>/", where name is tb.Name() with every "/" replaced by
// "_", run is random per process and n counts the tests that asked. Every
// call with the same tb returns the same prefix. Tests on a server that
// outlives them (StartShared, or the cluster in ETCD_ENDPOINTS) keep every
// key under such a prefix, so that they never see a key written before they
// started and assume nothing about the rest of the keyspace.
//
// No returned prefix is a prefix of another one.
func KeyPrefix(tb testing.TB) string {
	if p, ok := given.Load(tb); ok {
		return p.(string)
	}
	name := strings.ReplaceAll(tb.Name(), "/", "_")
	p := name + "/" + runID + "." + strconv.FormatUint(prefixes.Add(1), 10) + "/"
	if first, loaded := given.LoadOrStore(tb, p); loaded {
		return first.(string)
	}
	tb.Cleanup(func() { given.Delete(tb) })
	return p
}
