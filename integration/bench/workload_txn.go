package bench

import (
	"context"
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// errCASLost means a compare-and-swap found another revision than the one
// its goroutine wrote last; each goroutine owns its key, so it never should.
var errCASLost = errors.New("bench: txn-cas: compare failed on a key only this goroutine writes")

func init() {
	const name = "txn-cas"
	v := value(16)
	Register(Workload{
		Name: name,
		KV:   true,
		Desc: "compare-and-swap: txn if mod_revision(k) = last then put k (16 B), one key per goroutine",
		Getcd: func(ctx context.Context, e *Env, w int) (Op, error) {
			k := e.Key(name, "getcd", w)
			put := op.Put(kv.New().WithKey(k).WithValue(v))
			resp, err := e.Getcd.Put(ctx, kv.New().WithKey(k).WithValue(v))
			if err != nil {
				return nil, err
			}
			rev := resp.Header.Revision
			return func(ctx context.Context) error {
				r, err := e.Getcd.Txn(ctx, op.If(compare.Key(k).ModRevision(compare.Equal, rev)).Then(put))
				if err != nil {
					return err
				}
				if !r.Succeeded {
					return errCASLost
				}
				rev = r.Header.Revision
				return nil
			}, nil
		},
		Official: func(ctx context.Context, e *Env, w int) (Op, error) {
			k := e.Key(name, "official", w)
			resp, err := e.Official.Put(ctx, k, v)
			if err != nil {
				return nil, err
			}
			rev := resp.Header.Revision
			return func(ctx context.Context) error {
				r, err := e.Official.Txn(ctx).
					If(clientv3.Compare(clientv3.ModRevision(k), "=", rev)).
					Then(clientv3.OpPut(k, v)).
					Commit()
				if err != nil {
					return err
				}
				if !r.Succeeded {
					return errCASLost
				}
				rev = r.Header.Revision
				return nil
			}, nil
		},
		Raw: func(ctx context.Context, e *Env, w int) (Op, error) {
			k := []byte(e.Key(name, "raw", w))
			resp, err := e.Raw.Put(ctx, &pb.PutRequest{Key: k, Value: []byte(v)})
			if err != nil {
				return nil, err
			}
			target := &pb.Compare_ModRevision{ModRevision: resp.Header.Revision}
			m := &pb.TxnRequest{
				Compare: []*pb.Compare{{Key: k, Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: target}},
				Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: k, Value: []byte(v)}}}},
			}
			return func(ctx context.Context) error {
				r, err := e.Raw.Txn(ctx, m)
				if err != nil {
					return err
				}
				if !r.Succeeded {
					return errCASLost
				}
				target.ModRevision = r.Header.Revision
				return nil
			}, nil
		},
	})
}
