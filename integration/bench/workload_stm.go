package bench

import (
	"context"
	"math/rand/v2"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/getcd/getcd/stm"
)

// stmMaxAttempts bounds getcd's attempts in the STM workloads far above
// what they need, since the official STM retries without bound: a cell
// measures throughput under contention, not giving up.
const stmMaxAttempts = 100_000

// The STM workloads increment counters under contention: every goroutine
// of a cell picks one of nkeys counters at random and adds one to it in a
// transaction (read, then write the value plus one, committed only if the
// counter did not change in between; else retried). Each client counts its
// attempts.
func init() {
	registerCounter("stm-counter-1", 1)
	registerCounter("stm-counter-100", 100)
}

func registerCounter(name string, nkeys int) {
	keys := func(e *Env, client Client) []string {
		out := make([]string, nkeys)
		for i := range out {
			out[i] = e.Key(name, client, i)
		}
		return out
	}
	Register(Workload{
		Name: name,
		Desc: "STM counter increment (read, +1, write; retried on conflict), each goroutine on a random one of " +
			strconv.Itoa(nkeys) + " key(s): getcd stm.Run (serializable snapshot, default backoff), " +
			"official concurrency.NewSTM (serializable snapshot), raw get + compare-and-swap loop",
		Concurrency: []int{1, 16, 64},
		Getcd: func(_ context.Context, e *Env, w int) (Op, error) {
			ks := keys(e, Getcd)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var key string
			req := stm.New(func(ctx context.Context, tx *stm.Tx) error {
				v, err := tx.Get(ctx, key)
				if err != nil {
					return err
				}
				n, err := counter(v)
				if err != nil {
					return err
				}
				tx.Put(key, strconv.FormatInt(n+1, 10))
				return nil
			}).WithMaxAttempts(stmMaxAttempts)
			return func(ctx context.Context) error {
				key = ks[rng.IntN(len(ks))]
				res, err := stm.Run(ctx, e.Getcd, req)
				e.CountAttempts(res.Attempts)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, w int) (Op, error) {
			ks := keys(e, Official)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var key string
			attempts := 0
			apply := func(s concurrency.STM) error {
				attempts++
				n, err := counter(s.Get(key))
				if err != nil {
					return err
				}
				s.Put(key, strconv.FormatInt(n+1, 10))
				return nil
			}
			return func(ctx context.Context) error {
				key, attempts = ks[rng.IntN(len(ks))], 0
				_, err := concurrency.NewSTM(e.Official, apply, concurrency.WithAbortContext(ctx))
				e.CountAttempts(attempts)
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, w int) (Op, error) {
			ks := keys(e, Raw)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			// One set of messages per key, built once and updated in place.
			type cas struct {
				get *pb.RangeRequest
				rev *pb.Compare_ModRevision
				put *pb.PutRequest
				txn *pb.TxnRequest
			}
			msgs := make([]cas, len(ks))
			for i, k := range ks {
				m := cas{get: &pb.RangeRequest{Key: []byte(k)}, rev: &pb.Compare_ModRevision{}, put: &pb.PutRequest{Key: []byte(k)}}
				m.txn = &pb.TxnRequest{
					Compare: []*pb.Compare{{Key: m.put.Key, Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: m.rev}},
					Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: m.put}}},
					Failure: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: m.get}}},
				}
				msgs[i] = m
			}
			var buf []byte
			return func(ctx context.Context) error {
				m := msgs[rng.IntN(len(msgs))]
				resp, err := e.Raw.Range(ctx, m.get)
				if err != nil {
					return err
				}
				for attempts := 1; ; attempts++ {
					var n, rev int64
					if len(resp.Kvs) > 0 {
						if n, err = counter(string(resp.Kvs[0].Value)); err != nil {
							return err
						}
						rev = resp.Kvs[0].ModRevision
					}
					m.rev.ModRevision = rev
					buf = strconv.AppendInt(buf[:0], n+1, 10)
					m.put.Value = buf
					tr, err := e.Raw.Txn(ctx, m.txn)
					if err != nil {
						return err
					}
					if tr.Succeeded {
						e.CountAttempts(attempts)
						return nil
					}
					resp = tr.Responses[0].GetResponseRange()
				}
			}, nil
		},
	})
}

// counter parses a counter's value; a missing counter ("") is 0.
func counter(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}
