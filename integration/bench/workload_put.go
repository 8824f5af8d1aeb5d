package bench

import (
	"context"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

func init() {
	Register(putWorkload("put-16B", 16))
	Register(putWorkload("put-4KiB", 4096))
}

// value returns a value of n bytes.
func value(n int) string { return strings.Repeat("0123456789abcdef", n/16+1)[:n] }

// putWorkload puts an n-byte value to one key per goroutine, over and over.
func putWorkload(name string, n int) Workload {
	v := value(n)
	return Workload{
		Name:     name,
		KV:       true,
		Coalesce: true,
		Desc:     "put of a " + name[len("put-"):] + " value to one key per goroutine",
		Getcd: func(_ context.Context, e *Env, w int) (Op, error) {
			req := kv.New().WithKey(e.Key(name, "getcd", w)).WithValue(v)
			return func(ctx context.Context) error {
				_, err := e.Getcd.Put(ctx, req)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, w int) (Op, error) {
			k := e.Key(name, "official", w)
			return func(ctx context.Context) error {
				_, err := e.Official.Put(ctx, k, v)
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, w int) (Op, error) {
			m := &pb.PutRequest{Key: []byte(e.Key(name, "raw", w)), Value: []byte(v)}
			return func(ctx context.Context) error {
				_, err := e.Raw.Put(ctx, m)
				return err
			}, nil
		},
	}
}
