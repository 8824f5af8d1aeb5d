package stmtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"

	"github.com/getcd/getcd/stm"
)

// officialIsolation maps a level to the official client's name for it.
var officialIsolation = map[stm.Isolation]concurrency.Isolation{
	stm.SerializableSnapshot: concurrency.SerializableSnapshot,
	stm.Serializable:         concurrency.Serializable,
	stm.RepeatableReads:      concurrency.RepeatableReads,
	stm.ReadCommitted:        concurrency.ReadCommitted,
}

// officialTransfer is the bank's transfer through the official client's
// concurrency.NewSTM on cli.
func officialTransfer(cli *clientv3.Client, iso stm.Isolation) transferFunc {
	return func(ctx context.Context, from, to string, amount int) (int, bool, error) {
		attempts, moved := 0, false
		_, err := concurrency.NewSTM(cli, func(s concurrency.STM) error {
			attempts++
			moved = false
			fa, errA := strconv.Atoi(s.Get(from))
			tb, errB := strconv.Atoi(s.Get(to))
			if errA != nil {
				return errA
			}
			if errB != nil {
				return errB
			}
			if fa < amount {
				return errInsufficient
			}
			s.Put(from, strconv.Itoa(fa-amount))
			s.Put(to, strconv.Itoa(tb+amount))
			moved = true
			return nil
		}, concurrency.WithIsolation(officialIsolation[iso]), concurrency.WithAbortContext(ctx))
		return attempts, moved && err == nil, err
	}
}

func newOfficial(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: shared.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// TestDifferentialOfficial runs the same random transfer workload (same
// seeds, eight workers on connections of their own, five accounts) through
// getcd's STM and through the official client's concurrency.NewSTM at the
// same isolation level, back to back, and holds both to the same
// invariants. It logs commits per second and attempts per commit of each;
// it asserts no timing.
func TestDifferentialOfficial(t *testing.T) {
	d := 2 * time.Second
	if soak() {
		d = 20 * time.Second
	}
	for _, iso := range []stm.Isolation{stm.SerializableSnapshot, stm.Serializable, stm.RepeatableReads} {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c := open(t)
			clients := map[string]func(w int) transferFunc{
				"getcd":    func(int) transferFunc { return getcdTransfer(open(t), iso) },
				"official": func(int) transferFunc { return officialTransfer(newOfficial(t), iso) },
			}
			for _, name := range []string{"getcd", "official"} {
				accounts := seedBank(t, c, prefix(t)+name+"/", 5)
				end := time.Now().Add(d)
				ledger, stats := bankRun{
					accounts: accounts, workers: 8,
					until:       func(int) bool { return time.Now().Before(end) },
					newTransfer: clients[name],
				}.run(t, ctx)
				t.Logf("%-8s %s: %s", name, iso, stats)
				if stats.moved == 0 {
					t.Errorf("%s: no transfer moved money", name)
				}
				if p := audit(t, c, accounts, ledger); len(p) > 0 {
					t.Errorf("%s: invariants broken:\n%q", name, p)
				}
			}
		})
	}
}
