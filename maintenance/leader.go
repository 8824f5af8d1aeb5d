package maintenance

import (
	"context"
	"fmt"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// MoveLeader hands the leadership to the member r.WithTarget names, which
// must be a voting member (conn.ErrBadLeaderTransferee otherwise).
//
// etcd runs it only on the leader (conn.ErrNotLeader elsewhere), so
// MoveLeader finds the leader first: it asks any member for its Status,
// lists the members, and sends the call to a client URL of the leader (one
// that is among the connection's endpoints if any), over a per-endpoint
// connection as WithEndpoint would. WithEndpoint skips the search and sends
// it there. A leader change between the search and the call fails with
// conn.ErrNotLeader; the call can then be made again.
func MoveLeader(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	const req = "move_leader"
	if err := r.check(req, moveLeaderOpts); err != nil {
		return nil, err
	}
	if !r.set.has(optTarget) || r.target == 0 {
		return nil, invalid(req, "target_id", "the member to lead is required (WithTarget); 0 is no member")
	}
	ctx, cancel := withTimeout(ctx, r)
	defer cancel()
	tc, ep, release, err := leaderConn(ctx, c, r)
	if err != nil {
		return nil, err
	}
	defer release()
	resp := &pb.MoveLeaderResponse{}
	if err := unary.Call(ctx, tc, r.timeout, MethodMoveLeader, connx.Write, &pb.MoveLeaderRequest{TargetID: r.target}, resp); err != nil {
		return nil, err
	}
	return &Response{Header: conn.HeaderOf(resp.Header), Endpoint: ep}, nil
}

// leaderConn returns a connection that reaches the leader, as on does.
func leaderConn(ctx context.Context, c *conn.Conn, r Request) (*conn.Conn, string, func(), error) {
	if r.set.has(optEndpoint) {
		return on(ctx, c, r)
	}
	st := &pb.StatusResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodStatus, connx.Read, &pb.StatusRequest{}, st); err != nil {
		return nil, "", noRelease, err
	}
	if st.Leader == 0 {
		return nil, "", noRelease, fmt.Errorf("maintenance: move leader: member %x knows no leader: %w", st.GetHeader().GetMemberId(), conn.ErrNoLeader)
	}
	if eps := c.Endpoints(); len(eps) == 1 && st.GetHeader().GetMemberId() == st.Leader {
		return c, eps[0], noRelease, nil
	}
	ml := &pb.MemberListResponse{}
	if err := unary.Call(ctx, c, r.timeout, "/etcdserverpb.Cluster/MemberList", connx.Read, &pb.MemberListRequest{}, ml); err != nil {
		return nil, "", noRelease, err
	}
	for _, m := range ml.Members {
		if m.ID != st.Leader {
			continue
		}
		raw, addr, ok := pickURL(c, m.ClientURLs)
		if !ok {
			return nil, "", noRelease, fmt.Errorf("maintenance: move leader: the leader %x lists no usable client URL %q: %w", m.ID, m.ClientURLs, conn.ErrUnavailable)
		}
		dc, release, err := dialed(ctx, c, raw, addr)
		return dc, addr, release, err
	}
	return nil, "", noRelease, fmt.Errorf("maintenance: move leader: the leader %s is not in the member list: %w", strconv.FormatUint(st.Leader, 16), conn.ErrNoLeader)
}
