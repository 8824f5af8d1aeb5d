package bench

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
)

// The admin workloads: a member's status and the member list, the two
// calls a cluster status table or a health probe repeats.
func init() {
	Register(Workload{
		Name: "status",
		Desc: "maintenance status of one chosen member (the official client dials the endpoint for each call; getcd keeps a connection to it, here the connection itself)",
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			req := maintenance.New().WithEndpoint(e.Getcd.Endpoints()[0])
			return func(ctx context.Context) error {
				_, err := maintenance.Status(ctx, e.Getcd, req)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			ep := e.Official.Endpoints()[0]
			return func(ctx context.Context) error {
				_, err := e.Official.Status(ctx, ep)
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			mc, m := pb.NewMaintenanceClient(e.rawConn), &pb.StatusRequest{}
			return func(ctx context.Context) error {
				_, err := mc.Status(ctx, m)
				return err
			}, nil
		},
	})
	Register(Workload{
		Name: "member-list",
		Desc: "member list, serializable (getcd's default; the official client asks for it with clientv3.WithSerializable, since its default is linearizable)",
		Getcd: func(_ context.Context, e *Env, _ int) (Op, error) {
			req := membership.New()
			return func(ctx context.Context) error {
				_, err := membership.List(ctx, e.Getcd, req)
				return err
			}, nil
		},
		Official: func(_ context.Context, e *Env, _ int) (Op, error) {
			return func(ctx context.Context) error {
				_, err := e.Official.MemberList(ctx, clientv3.WithSerializable())
				return err
			}, nil
		},
		Raw: func(_ context.Context, e *Env, _ int) (Op, error) {
			cc, m := pb.NewClusterClient(e.rawConn), &pb.MemberListRequest{}
			return func(ctx context.Context) error {
				_, err := cc.MemberList(ctx, m)
				return err
			}, nil
		},
	})
}
