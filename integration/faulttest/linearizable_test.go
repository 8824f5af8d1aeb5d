package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// regInput is one operation on a register (one etcd key).
type regInput struct {
	put   bool
	key   string
	value string // for a put
}

// registerModel is a set of independent registers, one per key, each
// starting empty. A get must return the value of the last put before it.
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range h {
			k := op.Input.(regInput).key
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regInput)
		if in.put {
			return true, in.value
		}
		return output.(string) == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %q", in.key, output)
	},
}

// recorder collects a history of register operations from many clients.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// client runs random puts (unique values) and linearizable gets on a few
// keys until stop closes. A put whose outcome is unknown may take effect at
// any time after its call, so its return time is left open; failed gets and
// puts known not to be applied are left out of the history.
func (r *recorder) client(c *conn.Conn, id int, keys []string, stop <-chan struct{}, unknown *int) {
	rng := rand.New(rand.NewPCG(uint64(id), 42))
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		key := keys[rng.IntN(len(keys))]
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		call := r.now()
		if rng.IntN(2) == 0 {
			value := fmt.Sprintf("c%d-%d", id, n)
			_, err := c.Put(ctx, kv.New().WithKey(key).WithValue(value))
			ret := r.now()
			switch {
			case err == nil:
			case errors.Is(err, conn.ErrUnknownOutcome):
				ret = math.MaxInt64
				*unknown++
			default:
				cancel()
				continue
			}
			r.add(porcupine.Operation{ClientId: id, Input: regInput{put: true, key: key, value: value}, Call: call, Return: ret})
		} else {
			resp, err := c.Get(ctx, kv.New().WithKey(key))
			ret := r.now()
			if err == nil {
				v := ""
				if len(resp.KVs) == 1 {
					v = string(resp.KVs[0].Value)
				}
				r.add(porcupine.Operation{ClientId: id, Input: regInput{key: key}, Output: v, Call: call, Return: ret})
			}
		}
		cancel()
	}
}

// TestLinearizableThroughLeaderKill records puts and gets of several
// clients, each with a connection of its own to every member, while the
// leader is killed and restarted, and checks the history with porcupine.
func TestLinearizableThroughLeaderKill(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	leader, _ := roles(t, cl)
	keys := []string{"lin/a", "lin/b", "lin/c"}
	rec := &recorder{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const clients = 6
	unknown := make([]int, clients)
	for id := range clients {
		c, err := conn.New(context.Background(), conn.Config{Endpoints: cl.Endpoints()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec.client(c, id, keys, stop, &unknown[id])
		}()
	}
	time.Sleep(500 * time.Millisecond)
	cl.Members[leader].Kill()
	time.Sleep(1500 * time.Millisecond)
	if err := cl.Members[leader].Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	total := 0
	for _, u := range unknown {
		total += u
	}
	if len(rec.ops) < 100 {
		t.Fatalf("only %d operations recorded", len(rec.ops))
	}
	res := porcupine.CheckOperationsTimeout(registerModel, rec.ops, time.Minute)
	t.Logf("%d operations (%d puts of unknown outcome): %s", len(rec.ops), total, res)
	if res == porcupine.Illegal {
		t.Fatalf("history is not linearizable")
	}
	if res != porcupine.Ok {
		t.Errorf("the checker gave no verdict within a minute: %s", res)
	}
}

// TestCheckerCatchesStaleRead makes sure the checker above can fail: a get
// that returns an overwritten value after the overwrite completed is
// rejected.
func TestCheckerCatchesStaleRead(t *testing.T) {
	h := []porcupine.Operation{
		{ClientId: 0, Input: regInput{put: true, key: "k", value: "1"}, Call: 0, Return: 10},
		{ClientId: 0, Input: regInput{put: true, key: "k", value: "2"}, Call: 20, Return: 30},
		{ClientId: 1, Input: regInput{key: "k"}, Output: "1", Call: 40, Return: 50},
	}
	if res := porcupine.CheckOperationsTimeout(registerModel, h, time.Second); res != porcupine.Illegal {
		t.Errorf("stale read judged %s, want Illegal", res)
	}
	h[2].Output = "2"
	if res := porcupine.CheckOperationsTimeout(registerModel, h, time.Second); res != porcupine.Ok {
		t.Errorf("fresh read judged %s, want Ok", res)
	}
}
