package etcdtest

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// runID is chosen once per test process, so that two processes sharing an
// external cluster, or two runs of one package against it, use different
// keys.
var runID = strconv.FormatUint(rand.Uint64(), 36)

// prefixes counts the prefixes handed out by this process, so that each
// round of `go test -count=N` gets keys of its own.
var prefixes atomic.Uint64

// KeyPrefix returns a key prefix that no other test, no other round of the
// same test (go test -count=N) and no other test process uses:
// "<name>/<run>.<n>/", where name is tb.Name() with every "/" replaced by
// "_", run is random per process and n counts the calls. Tests on a server
// that outlives them (StartShared, or the cluster in ETCD_ENDPOINTS) keep
// every key under such a prefix, so that they never see a key written
// before they started and assume nothing about the rest of the keyspace.
//
// No returned prefix is a prefix of another one.
func KeyPrefix(tb testing.TB) string {
	name := strings.ReplaceAll(tb.Name(), "/", "_")
	return name + "/" + runID + "." + strconv.FormatUint(prefixes.Add(1), 10) + "/"
}
