package stmtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/stm"
)

// The bank: accounts with integer balances, and workers moving random
// amounts between random pairs. A correct transaction system keeps the sum
// constant, never makes a balance negative (a transfer that would is
// declined) and, transfer by transfer, ends with exactly the balances the
// committed transfers add up to.

const initialBalance = 100

// transferFunc moves amount from one account to another. It says how many
// attempts it took and whether money moved (false: declined, or gave up
// after conflicts, which errors.Is(err, stm.ErrConflict) tells).
type transferFunc func(ctx context.Context, from, to string, amount int) (attempts int, moved bool, err error)

type bankRun struct {
	accounts []string
	workers  int
	// until says whether a worker goes on after n transfers.
	until func(n int) bool
	// newTransfer gives each worker its transfer function (and its own
	// connection).
	newTransfer func(worker int) transferFunc
}

type bankStats struct {
	moved, declined, gaveUp, attempts int
	elapsed                           time.Duration
}

func (s bankStats) String() string {
	done := s.moved + s.declined
	return fmt.Sprintf("%d transfers committed (%d moved money, %d declined), %d gave up after conflicts, %.0f commits/s, %.2f attempts per commit",
		done, s.moved, s.declined, s.gaveUp, float64(done)/s.elapsed.Seconds(), float64(s.attempts)/float64(max(done, 1)))
}

// errInsufficient declines a transfer; the transaction writes nothing.
var errInsufficient = errors.New("insufficient funds")

// seedBank creates the accounts with the initial balance.
func seedBank(t *testing.T, c *conn.Conn, pfx string, n int) []string {
	t.Helper()
	accounts := make([]string, n)
	for i := range accounts {
		accounts[i] = pfx + "acct/" + strconv.Itoa(i)
		put(t, c, accounts[i], strconv.Itoa(initialBalance))
	}
	return accounts
}

// run runs the workers and returns what each committed transfer did to
// each account, summed.
func (b bankRun) run(t *testing.T, ctx context.Context) (map[string]int, bankStats) {
	t.Helper()
	ledgers := make([]map[string]int, b.workers)
	stats := make([]bankStats, b.workers)
	errs := make([]error, b.workers)
	fns := make([]transferFunc, b.workers)
	for w := range fns {
		fns[w] = b.newTransfer(w)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range b.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			ledger := map[string]int{}
			ledgers[w] = ledger
			for n := 0; b.until(n); n++ {
				i := rng.IntN(len(b.accounts))
				j := (i + 1 + rng.IntN(len(b.accounts)-1)) % len(b.accounts)
				amount := 1 + rng.IntN(30)
				attempts, moved, err := fns[w](ctx, b.accounts[i], b.accounts[j], amount)
				stats[w].attempts += attempts
				switch {
				case errors.Is(err, stm.ErrConflict):
					stats[w].gaveUp++
				case errors.Is(err, errInsufficient):
					stats[w].declined++
				case err != nil:
					errs[w] = fmt.Errorf("worker %d transfer %d: %w", w, n, err)
					return
				case moved:
					stats[w].moved++
					ledger[b.accounts[i]] -= amount
					ledger[b.accounts[j]] += amount
				default:
					stats[w].declined++
				}
			}
		}()
	}
	wg.Wait()
	total := bankStats{elapsed: time.Since(start)}
	for w := range b.workers {
		if errs[w] != nil {
			t.Fatal(errs[w])
		}
		total.moved += stats[w].moved
		total.declined += stats[w].declined
		total.gaveUp += stats[w].gaveUp
		total.attempts += stats[w].attempts
	}
	sum := map[string]int{}
	for _, l := range ledgers {
		for k, d := range l {
			sum[k] += d
		}
	}
	return sum, total
}

// audit lists every way the store's balances break the bank's invariants
// given the committed transfers' ledger.
func audit(t *testing.T, c *conn.Conn, accounts []string, ledger map[string]int) []string {
	t.Helper()
	var problems []string
	total := 0
	for _, a := range accounts {
		v, _ := value(t, c, a)
		bal := atoi(t, v)
		total += bal
		if bal < 0 {
			problems = append(problems, fmt.Sprintf("%s is negative: %d", a, bal))
		}
		if want := initialBalance + ledger[a]; bal != want {
			problems = append(problems, fmt.Sprintf("%s holds %d, the committed transfers add up to %d", a, bal, want))
		}
	}
	if want := initialBalance * len(accounts); total != want {
		problems = append(problems, fmt.Sprintf("the sum is %d, want %d", total, want))
	}
	return problems
}

// getcdTransfer is a transfer through getcd's STM on c.
func getcdTransfer(c *conn.Conn, iso stm.Isolation) transferFunc {
	return func(ctx context.Context, from, to string, amount int) (int, bool, error) {
		moved := false
		res, err := stm.Run(ctx, c, stm.New(func(ctx context.Context, tx *stm.Tx) error {
			moved = false
			a, err := tx.Get(ctx, from)
			if err != nil {
				return err
			}
			b, err := tx.Get(ctx, to)
			if err != nil {
				return err
			}
			fa, errA := strconv.Atoi(a)
			tb, errB := strconv.Atoi(b)
			if err := errors.Join(errA, errB); err != nil {
				return err
			}
			if fa < amount {
				return errInsufficient
			}
			tx.Put(from, strconv.Itoa(fa-amount))
			tx.Put(to, strconv.Itoa(tb+amount))
			moved = true
			return nil
		}).WithIsolation(iso))
		return res.Attempts, moved && err == nil, err
	}
}

func bankDuration() time.Duration {
	if soak() {
		return 30 * time.Second
	}
	return 3 * time.Second
}

// TestBankTransfer: eight workers, each on a connection of its own, move
// money between five accounts for a few seconds at the serializable levels
// (and repeatable reads, which validates its reads too). Nothing is lost or
// created, nothing goes negative, and the balances are exactly what the
// committed transfers add up to.
func TestBankTransfer(t *testing.T) {
	for _, iso := range []stm.Isolation{stm.SerializableSnapshot, stm.Serializable, stm.RepeatableReads} {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			c := open(t)
			accounts := seedBank(t, c, prefix(t), 5)
			end := time.Now().Add(bankDuration())
			ledger, stats := bankRun{
				accounts: accounts, workers: 8,
				until:       func(int) bool { return time.Now().Before(end) },
				newTransfer: func(int) transferFunc { return getcdTransfer(open(t), iso) },
			}.run(t, ctx)
			t.Logf("%s: %s", iso, stats)
			if stats.moved < 10 {
				t.Fatalf("only %d transfers moved money: the run proves nothing", stats.moved)
			}
			if stats.attempts <= stats.moved+stats.declined {
				t.Logf("no conflict happened: contention too low to exercise retries")
			}
			if p := audit(t, c, accounts, ledger); len(p) > 0 {
				t.Errorf("invariants broken:\n%q", p)
			}
		})
	}
}

// TestBankTransferControl is the same workload at read committed, where the
// commit checks nothing: concurrent transfers overwrite each other, and
// the audit must notice. It proves that the audit above can fail. It runs
// rounds of transfers until the audit finds a problem, within a bound on
// transfers rather than on time.
func TestBankTransferControl(t *testing.T) {
	ctx := testCtx(t)
	c := open(t)
	accounts := seedBank(t, c, prefix(t), 3)
	ledger := map[string]int{}
	conns := make([]*conn.Conn, 8)
	for i := range conns {
		conns[i] = open(t)
	}
	for round := 1; round <= 40; round++ {
		l, stats := bankRun{
			accounts: accounts, workers: len(conns),
			until:       func(n int) bool { return n < 25 },
			newTransfer: func(w int) transferFunc { return getcdTransfer(conns[w], stm.ReadCommitted) },
		}.run(t, ctx)
		for k, d := range l {
			ledger[k] += d
		}
		if stats.attempts != stats.moved+stats.declined {
			t.Errorf("read committed retried: %d attempts for %d commits", stats.attempts, stats.moved+stats.declined)
		}
		if p := audit(t, c, accounts, ledger); len(p) > 0 {
			t.Logf("round %d: the audit caught lost updates as expected: %q", round, p)
			return
		}
	}
	t.Fatal("1000 unchecked concurrent transfers and the audit found nothing: it cannot catch lost updates")
}
