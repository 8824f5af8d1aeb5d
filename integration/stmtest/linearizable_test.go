package stmtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/stm"
)

// counterInput is one operation on the counter: an increment, which
// returns the value it wrote, or a read.
type counterInput struct{ incr bool }

// counterModel is a counter starting at 0: an increment must return the
// value before it plus one, a read the current value.
var counterModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		n := state.(int)
		if input.(counterInput).incr {
			return output.(int) == n+1, n + 1
		}
		return output.(int) == n, n
	},
	DescribeOperation: func(input, output any) string {
		if input.(counterInput).incr {
			return fmt.Sprintf("incr() -> %d", output)
		}
		return fmt.Sprintf("read() -> %d", output)
	},
}

// TestCounterLinearizable: workers, each on a connection of its own,
// increment one counter through the STM (and sometimes read it through a
// transaction that writes nothing) and record when each call started and
// returned. At every validating level the committed history must be
// linearizable: every increment returned a distinct value, no increment
// was lost, and no read saw a value that was already overwritten when it
// began.
func TestCounterLinearizable(t *testing.T) {
	ops := 20
	if soak() {
		ops = 300
	}
	for _, iso := range []stm.Isolation{stm.SerializableSnapshot, stm.Serializable, stm.RepeatableReads} {
		t.Run(iso.String(), func(t *testing.T) {
			ctx := testCtx(t)
			k := prefix(t) + "counter"
			start := time.Now()
			var (
				mu      sync.Mutex
				history []porcupine.Operation
				wg      sync.WaitGroup
			)
			const workers = 6
			errs := make([]error, workers)
			conns := make([]*conn.Conn, workers)
			for w := range conns {
				conns[w] = open(t)
			}
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 3))
					for range ops {
						incr := rng.IntN(4) != 0
						out := 0
						call := int64(time.Since(start))
						_, err := stm.Run(ctx, conns[w], stm.New(func(ctx context.Context, tx *stm.Tx) error {
							v, err := tx.Get(ctx, k)
							if err != nil {
								return err
							}
							n := 0
							if v != "" {
								if n, err = strconv.Atoi(v); err != nil {
									return err
								}
							}
							out = n
							if incr {
								out = n + 1
								tx.Put(k, strconv.Itoa(out))
							}
							return nil
						}).WithIsolation(iso).WithMaxAttempts(1000))
						ret := int64(time.Since(start))
						if err != nil {
							errs[w] = err
							return
						}
						mu.Lock()
						history = append(history, porcupine.Operation{ClientId: w, Input: counterInput{incr}, Output: out, Call: call, Return: ret})
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var incrs []int
			for _, op := range history {
				if op.Input.(counterInput).incr {
					incrs = append(incrs, op.Output.(int))
				}
			}
			slices.Sort(incrs)
			for i, v := range incrs {
				if v != i+1 {
					t.Fatalf("increments returned %v: not 1..%d once each", incrs, len(incrs))
				}
			}
			v, _ := value(t, conns[0], k)
			if atoi(t, v) != len(incrs) {
				t.Errorf("counter is %s after %d committed increments", v, len(incrs))
			}
			res := porcupine.CheckOperationsTimeout(counterModel, history, time.Minute)
			t.Logf("%d operations (%d increments): %s", len(history), len(incrs), res)
			if res != porcupine.Ok {
				t.Errorf("history judged %s, want linearizable", res)
			}
		})
	}
}

// TestCounterCheckerCatchesLostUpdate makes sure the checker above can
// fail: two increments that both return 1 (one was lost), and a read of a
// value that was overwritten before it began.
func TestCounterCheckerCatchesLostUpdate(t *testing.T) {
	lost := []porcupine.Operation{
		{ClientId: 0, Input: counterInput{true}, Output: 1, Call: 0, Return: 10},
		{ClientId: 1, Input: counterInput{true}, Output: 1, Call: 5, Return: 15},
	}
	if res := porcupine.CheckOperationsTimeout(counterModel, lost, time.Second); res != porcupine.Illegal {
		t.Errorf("lost update judged %s, want Illegal", res)
	}
	stale := []porcupine.Operation{
		{ClientId: 0, Input: counterInput{true}, Output: 1, Call: 0, Return: 10},
		{ClientId: 0, Input: counterInput{true}, Output: 2, Call: 20, Return: 30},
		{ClientId: 1, Input: counterInput{false}, Output: 1, Call: 40, Return: 50},
	}
	if res := porcupine.CheckOperationsTimeout(counterModel, stale, time.Second); res != porcupine.Illegal {
		t.Errorf("stale read judged %s, want Illegal", res)
	}
	stale[2].Output = 2
	if res := porcupine.CheckOperationsTimeout(counterModel, stale, time.Second); res != porcupine.Ok {
		t.Errorf("fresh read judged %s, want Ok", res)
	}
}
