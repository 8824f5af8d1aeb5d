package bench

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

func init() {
	const name = "delete"
	Register(Workload{
		Name:     name,
		KV:       true,
		Coalesce: true,
		// A delete goes through raft whether or not the key exists, so the
		// server does the same work on every call; the key exists only
		// before the first one.
		Desc: "delete of one key per goroutine (a raft write each time)",
		Getcd: func(ctx context.Context, e *Env, w int) (Op, error) {
			req := kv.New().WithKey(e.Key(name, "getcd", w))
			if _, err := e.Getcd.Put(ctx, req.WithValue(value(16))); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error {
				_, err := e.Getcd.Delete(ctx, req)
				return err
			}, nil
		},
		Official: func(ctx context.Context, e *Env, w int) (Op, error) {
			k := e.Key(name, "official", w)
			if _, err := e.Official.Put(ctx, k, value(16)); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error {
				_, err := e.Official.Delete(ctx, k)
				return err
			}, nil
		},
		Raw: func(ctx context.Context, e *Env, w int) (Op, error) {
			k := []byte(e.Key(name, "raw", w))
			if _, err := e.Raw.Put(ctx, &pb.PutRequest{Key: k, Value: []byte(value(16))}); err != nil {
				return nil, err
			}
			m := &pb.DeleteRangeRequest{Key: k}
			return func(ctx context.Context) error {
				_, err := e.Raw.DeleteRange(ctx, m)
				return err
			}, nil
		},
	})
}
