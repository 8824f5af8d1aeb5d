// Package faulttest breaks a three-member etcd cluster of separate
// processes the ways etcd's own robustness suite does (kills, restarts of
// one member or all, peer isolation, black-holed client links, pauses,
// leader moves and defragmentation, compaction past a lagging watch,
// cancelled calls and closed connections) under getcd traffic: readers,
// writers, transactions, watchers and kept-alive leases. Every history is
// checked by etcd's validators (go.etcd.io/etcd/tests/v3/robustness:
// linearizability with failed writes patched from the members' WAL,
// serializable reads, the watch rules) and by this package's lease,
// applied-once and revision checkers. A failing history is written as
// porcupine's HTML visualization ($GETCD_FAULT_ARTIFACTS or the temporary
// directory). go test -v prints a summary line per scenario; GETCD_SOAK=n
// repeats every scenario n times with n faults each.
package faulttest

import (
	"os"
	"testing"

	"github.com/getcd/getcd/integration/etcdtest"
)

var etcdBin string

func TestMain(m *testing.M) { os.Exit(etcdtest.MainWithBinary(m, "faulttest", &etcdBin)) }
