package bench

import (
	"context"
	"fmt"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	kv "github.com/getcd/getcd/ctx"
)

func init() {
	for _, n := range []int{10, 100, 1000} {
		Register(prefixNWorkload(n))
	}
}

// prefixNWorkload reads a whole prefix of n keys (16-byte values) in one
// linearizable range without a limit: the answer holds all n keys, so the
// cost of decoding keys and values dominates the client's share.
func prefixNWorkload(n int) Workload {
	name := "get-prefix-" + strconv.Itoa(n)
	prefix := func(e *Env) string { return e.Key(name) + "/" }
	return Workload{
		Name: name,
		Desc: fmt.Sprintf("linearizable get of a whole prefix of %d keys (16 B values), no limit", n),
		KV:   true,
		Setup: func(ctx context.Context, e *Env) error {
			// Puts in transactions of up to 100, under etcd's --max-txn-ops.
			for i := 0; i < n; i += 100 {
				t := &pb.TxnRequest{}
				for j := i; j < min(i+100, n); j++ {
					k := fmt.Sprintf("%s%04d", prefix(e), j)
					t.Success = append(t.Success, &pb.RequestOp{Request: &pb.RequestOp_RequestPut{
						RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(value(16))}}})
				}
				if _, err := e.Raw.Txn(ctx, t); err != nil {
					return err
				}
			}
			return nil
		},
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			req := kv.New().WithKey(prefix(e)).WithPrefix()
			return func(ctx context.Context) error {
				r, err := e.Getcd.Get(ctx, req)
				if err == nil && len(r.KVs) != n {
					err = fmt.Errorf("bench: %s: %d keys, want %d", name, len(r.KVs), n)
				}
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			p := prefix(e)
			return func(ctx context.Context) error {
				r, err := e.Official.Get(ctx, p, clientv3.WithPrefix())
				if err == nil && len(r.Kvs) != n {
					err = fmt.Errorf("bench: %s: %d keys, want %d", name, len(r.Kvs), n)
				}
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			p := prefix(e)
			m := &pb.RangeRequest{Key: []byte(p), RangeEnd: []byte(prefixEnd(p))}
			return func(ctx context.Context) error {
				r, err := e.Raw.Range(ctx, m)
				if err == nil && len(r.Kvs) != n {
					err = fmt.Errorf("bench: %s: %d keys, want %d", name, len(r.Kvs), n)
				}
				return err
			}, nil
		},
	}
}
