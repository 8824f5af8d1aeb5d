package bench

import (
	"context"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	kv "github.com/getcd/getcd/ctx"
)

// The prefix workload's shape: prefixKeys keys under one prefix, read
// prefixLimit at a time.
const (
	prefixKeys  = 100
	prefixLimit = 10
)

func init() {
	const name = "get-prefix"
	prefix := func(e *Env) string { return e.Key(name) + "/" }
	Register(Workload{
		Name: name,
		KV:   true,
		Desc: fmt.Sprintf("linearizable get of a prefix holding %d keys, limit %d (16 B values)", prefixKeys, prefixLimit),
		Setup: func(ctx context.Context, e *Env) error {
			for i := range prefixKeys {
				k := fmt.Sprintf("%s%03d", prefix(e), i)
				if _, err := e.Raw.Put(ctx, &pb.PutRequest{Key: []byte(k), Value: []byte(value(16))}); err != nil {
					return err
				}
			}
			return nil
		},
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			req := kv.New().WithKey(prefix(e)).WithPrefix().WithLimit(prefixLimit)
			return func(ctx context.Context) error {
				_, err := e.Getcd.Get(ctx, req)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			p := prefix(e)
			return func(ctx context.Context) error {
				_, err := e.Official.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithLimit(prefixLimit))
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			p := prefix(e)
			m := &pb.RangeRequest{Key: []byte(p), RangeEnd: []byte(prefixEnd(p)), Limit: prefixLimit}
			return func(ctx context.Context) error {
				_, err := e.Raw.Range(ctx, m)
				return err
			}, nil
		},
	})
}
