package bench

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	kv "github.com/getcd/getcd/ctx"
)

func init() {
	Register(getWorkload("get-lin", false))
	Register(getWorkload("get-ser", true))
}

// getWorkload reads one key with a 16-byte value, linearizable (through
// the leader's read index) or serializable (from the member's own store).
func getWorkload(name string, serializable bool) Workload {
	desc := "linearizable get of one key (16 B value)"
	if serializable {
		desc = "serializable get of one key (16 B value)"
	}
	key := func(e *Env) string { return e.Key(name) }
	return Workload{
		Name:     name,
		KV:       true,
		Coalesce: true,
		Desc:     desc,
		Setup: func(ctx context.Context, e *Env) error {
			_, err := e.Raw.Put(ctx, &pb.PutRequest{Key: []byte(key(e)), Value: []byte(value(16))})
			return err
		},
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			req := kv.New().WithKey(key(e))
			if serializable {
				req = req.WithSerializable()
			}
			return func(ctx context.Context) error {
				_, err := e.Getcd.Get(ctx, req)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			k := key(e)
			if serializable {
				return func(ctx context.Context) error {
					_, err := e.Official.Get(ctx, k, clientv3.WithSerializable())
					return err
				}, nil
			}
			return func(ctx context.Context) error {
				_, err := e.Official.Get(ctx, k)
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			m := &pb.RangeRequest{Key: []byte(key(e)), Serializable: serializable}
			return func(ctx context.Context) error {
				_, err := e.Raw.Range(ctx, m)
				return err
			}, nil
		},
	}
}
