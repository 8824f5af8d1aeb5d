package maintenance

import (
	"context"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// DowngradeResponse is the answer to the downgrade calls.
type DowngradeResponse struct {
	Header  conn.Header
	Version string // the cluster version when the call was answered
}

func downgrade(ctx context.Context, c *conn.Conn, r Request, req string, action pb.DowngradeRequest_DowngradeAction, kind connx.Kind) (*DowngradeResponse, error) {
	if action == pb.DowngradeRequest_CANCEL {
		if err := r.check(req, 0); err != nil {
			return nil, err
		}
	} else {
		if err := r.check(req, downgradeOpts); err != nil {
			return nil, err
		}
		if !validVersion(r.version) {
			return nil, invalid(req, "version", "want the target cluster version as major.minor, such as 3.6, or a semantic version, got "+strconv.Quote(r.version))
		}
	}
	resp := &pb.DowngradeResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodDowngrade, kind, &pb.DowngradeRequest{Action: action, Version: r.version}, resp); err != nil {
		return nil, err
	}
	return &DowngradeResponse{Header: conn.HeaderOf(resp.Header), Version: resp.Version}, nil
}

// DowngradeValidate asks whether the cluster can be downgraded to
// r.WithVersion, which must be one minor version below the cluster's, and
// changes nothing. etcd's refusals: conn.ErrInvalidDowngradeTargetVersion,
// conn.ErrDowngradeInProcess, conn.ErrClusterVersionUnavailable.
func DowngradeValidate(ctx context.Context, c *conn.Conn, r Request) (*DowngradeResponse, error) {
	return downgrade(ctx, c, r, "downgrade_validate", pb.DowngradeRequest_VALIDATE, connx.Read)
}

// DowngradeEnable starts a downgrade of the cluster to r.WithVersion: the
// cluster version drops to it, and members may then be replaced one by one
// with binaries of that version. Servers before etcd 3.6 do not support
// downgrades (the call fails with their error).
func DowngradeEnable(ctx context.Context, c *conn.Conn, r Request) (*DowngradeResponse, error) {
	return downgrade(ctx, c, r, "downgrade_enable", pb.DowngradeRequest_ENABLE, connx.Write)
}

// DowngradeCancel cancels the downgrade under way. etcd v3.7 answers
// without an error when there is none.
func DowngradeCancel(ctx context.Context, c *conn.Conn, r Request) (*DowngradeResponse, error) {
	return downgrade(ctx, c, r, "downgrade_cancel", pb.DowngradeRequest_CANCEL, connx.Write)
}
