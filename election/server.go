package election

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/electionpb"
	"github.com/getcd/getcd/internal/rawpb"
	"github.com/getcd/getcd/internal/recipe"
	"github.com/getcd/getcd/internal/unary"
)

// Full gRPC method names of etcd's server-side Election service.
const (
	MethodCampaign = "/v3electionpb.Election/Campaign"
	MethodProclaim = "/v3electionpb.Election/Proclaim"
	MethodLeader   = "/v3electionpb.Election/Leader"
	MethodObserve  = "/v3electionpb.Election/Observe"
	MethodResign   = "/v3electionpb.Election/Resign"
)

// ErrBadResponse is matched by the error of a server-side call whose answer
// could not be decoded. The call itself succeeded on the server.
var ErrBadResponse = errors.New("election: malformed response from the server")

// The messages of the election service carry their election name as it is
// and the server's own errors as text (etcd's election service returns the
// errors of its client-side recipe, which gRPC sends with code Unknown).
const (
	// Raised by (*concurrency.Election).Proclaim in etcd's
	// client/v3/concurrency/election.go when its guarded txn did not
	// succeed: the compare on the key's create revision failed, so nothing
	// was written.
	msgNotLeader = "election: not leader"
	// Raised by (*concurrency.Election).Leader when the prefix is empty: a
	// read.
	msgNoLeader = "election: no leader"
)

// ServerCampaign campaigns through etcd's server-side Election service:
// the server runs etcd's recipe with the lease r names
// (election.Name("jobs").WithLease(id).WithValue("node-1"), or WithSession
// for its current lease) and answers once the candidate leads. The key
// layout is the same as Campaign's, so both kinds of candidate queue in
// one election. The caller keeps the lease alive, and acts on the returned
// LeaderKey (Proclaim, Resign, Guard).
//
// It is a write. The server runs several steps (the create, then reads
// and watches while it waits), so every failure after the request was
// sent matches conn.ErrUnknownOutcome, except a lease the server does not
// have (conn.ErrLeaseNotFound) and a member without the service. When the
// outcome is unknown (its context ended while
// the server waited, the connection broke, the server's wait failed after
// it created the key), the key is deleted again if it carries the lease,
// so nothing is left behind.
func ServerCampaign(ctx context.Context, c *conn.Conn, r Request) (*CampaignResponse, error) {
	if err := r.checkServerCampaign(); err != nil {
		return nil, err
	}
	id := r.lease
	if r.set.has(optSession) {
		var err error
		if id, err = sessionLease(ctx, r.session); err != nil {
			return nil, err
		}
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	// No per-request timeout: the server answers when the candidate leads,
	// which takes as long as the candidates before it lead; ctx bounds it.
	out := rawpb.NewResponse()
	err = x.Invoke(ctx, MethodCampaign, rawpb.Message(electionpb.AppendCampaignRequest(nil, []byte(r.name), id, []byte(r.value))), out, connx.Write)
	if err == nil {
		var res *CampaignResponse
		if res, err = decodeCampaign(rawpb.Bytes(out)); err == nil {
			return res, nil
		}
	} else {
		err = recipe.Outcome(err)
	}
	if errors.Is(err, conn.ErrUnknownOutcome) {
		cleanup(ctx, c, LeaderKey{Name: r.name, Key: keyOf(r.name, id), Lease: id}, 0)
	}
	return nil, err
}

// decodeCampaign converts the Election service's answer to Campaign. An
// answer that cannot be decoded still says the server ran the campaign to
// its end: the candidate's key may lead, and the outcome is unknown.
func decodeCampaign(b []byte) (*CampaignResponse, error) {
	resp, err := electionpb.DecodeCampaignResponse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%w: the server may have made the candidate leader)", badResponse(MethodCampaign, err), conn.ErrUnknownOutcome)
	}
	res := &CampaignResponse{Header: conn.HeaderOf(resp.Header)}
	if l := resp.Leader; l != nil {
		res.Leader = LeaderKey{Name: string(l.Name), Key: string(l.Key), Rev: l.Rev, Lease: l.Lease}
	}
	return res, nil
}

// ServerProclaim proclaims a value through the server-side Election
// service (election.Of(k).WithValue(v)). A lost leadership is refused with
// a *LostError (ErrLost) whose cause is the server's answer; nothing was
// written then. It is a write.
func ServerProclaim(ctx context.Context, c *conn.Conn, r Request) (*ProclaimResponse, error) {
	if err := r.checkLeader("server_proclaim", proclaimOpts); err != nil {
		return nil, err
	}
	req := electionpb.AppendProclaimRequest(nil, leaderKeyPB(r.leader), []byte(r.value))
	out, err := invoke(ctx, c, r.timeout, MethodProclaim, connx.Write, req)
	if err != nil {
		if ce, ok := serverSays(err, msgNotLeader); ok {
			known := *ce
			known.Unknown = false // refused before anything was written; see msgNotLeader
			return nil, &LostError{Key: r.leader, Cause: &known}
		}
		return nil, err
	}
	resp, err := electionpb.DecodeHeaderResponse(out)
	if err != nil {
		return nil, badResponse(MethodProclaim, err)
	}
	return &ProclaimResponse{Header: conn.HeaderOf(resp.Header)}, nil
}

// ServerResign resigns through the server-side Election service
// (election.Of(k)): the server deletes the key if it still has the create
// revision. The service does not say whether it did (Resigned is always
// true). It is a write.
func ServerResign(ctx context.Context, c *conn.Conn, r Request) (*ResignResponse, error) {
	if err := r.checkLeader("server_resign", resignOpts); err != nil {
		return nil, err
	}
	out, err := invoke(ctx, c, r.timeout, MethodResign, connx.Write, electionpb.AppendResignRequest(nil, leaderKeyPB(r.leader)))
	if err != nil {
		return nil, err
	}
	resp, err := electionpb.DecodeHeaderResponse(out)
	if err != nil {
		return nil, badResponse(MethodResign, err)
	}
	return &ResignResponse{Header: conn.HeaderOf(resp.Header), Resigned: true}, nil
}

// ServerLeader asks the server-side Election service who leads the
// election r names (election.Name("jobs")). An election without a
// candidate fails with an error matching ErrVacant.
func ServerLeader(ctx context.Context, c *conn.Conn, r Request) (*LeaderInfo, error) {
	if err := r.checkName("server_leader", leaderOpts); err != nil {
		return nil, err
	}
	out, err := invoke(ctx, c, r.timeout, MethodLeader, connx.Read, electionpb.AppendLeaderRequest(nil, []byte(r.name)))
	if err != nil {
		if _, ok := serverSays(err, msgNoLeader); ok {
			return nil, vacant(r.name)
		}
		return nil, err
	}
	return leaderInfo(MethodLeader, out)
}

func leaderInfo(method string, out []byte) (*LeaderInfo, error) {
	resp, err := electionpb.DecodeLeaderResponse(out)
	if err != nil {
		return nil, badResponse(method, err)
	}
	return &LeaderInfo{Header: conn.HeaderOf(resp.Header), KV: conn.KeyValueOf(resp.KV)}, nil
}

var observeDesc = grpc.StreamDesc{StreamName: "Observe", ServerStreams: true}

// ServerObserve follows the election r names (election.Name("jobs"))
// through the server-side Election service's Observe stream. The server
// sends the current leader, then each leader and each value it proclaims;
// it never reports a vacant election (it waits for the next leader), and
// it may skip a leader that came and went between two of its reads. When
// the stream breaks (reconnect, member restart, no leader) it is opened
// again, after a short backoff, and the server's first answer, the current
// leader, is yielded only if it differs from the last one yielded. The
// loop ends when ctx ends, when the connection closes or when the server
// refuses the stream; the last pair holds the error. Leaving the loop
// early ends the stream.
func ServerObserve(ctx context.Context, c *conn.Conn, r Request) (iter.Seq2[LeaderInfo, error], error) {
	if err := r.checkName("server_observe", serverObserveOpts); err != nil {
		return nil, err
	}
	x, err := connx.Get(c)
	if err != nil {
		return nil, err
	}
	req := electionpb.AppendLeaderRequest(nil, []byte(r.name))
	return func(yield func(LeaderInfo, error) bool) {
		var last LeaderInfo
		started := false
		var backoff time.Duration
		for {
			err := observeOnce(ctx, x, req, func(li LeaderInfo) bool {
				backoff = 0
				if started && li.same(last) {
					return true
				}
				started, last = true, li
				return yield(li, nil)
			})
			switch {
			case err == nil:
				return // the loop was left
			case ctx.Err() != nil:
				yield(LeaderInfo{}, err)
				return
			}
			if ok, rerr := x.Reauth(ctx, err); rerr != nil {
				yield(LeaderInfo{}, rerr)
				return
			} else if !ok && !resumable(err) {
				yield(LeaderInfo{}, err)
				return
			}
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			x.Logger().Debug("election: observe stream ended; opening it again", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				yield(LeaderInfo{}, ctx.Err())
				return
			}
		}
	}, nil
}

// observeOnce runs one Observe stream, handing each answer to fn. It
// returns nil when fn asks to stop, and otherwise why the stream ended.
func observeOnce(ctx context.Context, x connx.Conn, req []byte, fn func(LeaderInfo) bool) error {
	sctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx,
		rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader))
	defer cancel()
	cs, err := x.NewStream(sctx, &observeDesc, MethodObserve)
	if err != nil {
		return x.Error(ctx, MethodObserve, nil, connx.Read, err)
	}
	p, _ := peer.FromContext(cs.Context())
	// A failed send says only io.EOF; RecvMsg returns the stream's status.
	if cs.SendMsg(rawpb.Message(req)) == nil {
		_ = cs.CloseSend()
	}
	for {
		out := rawpb.NewResponse()
		if err := cs.RecvMsg(out); err != nil {
			if errors.Is(err, io.EOF) {
				// etcd's Observe returns without an error when its own
				// watch broke; the next stream carries on.
				return x.Error(ctx, MethodObserve, p, connx.Read, errStreamEnded)
			}
			return x.Error(ctx, MethodObserve, p, connx.Read, err)
		}
		li, err := leaderInfo(MethodObserve, rawpb.Bytes(out))
		if err != nil {
			return err
		}
		if !fn(*li) {
			return nil
		}
	}
}

var errStreamEnded = status.Error(codes.Unavailable, "election: observe stream ended by the server")

// resumable says whether a broken Observe stream is worth opening again.
func resumable(err error) bool {
	return errors.Is(err, conn.ErrUnavailable) || errors.Is(err, conn.ErrNoLeader) || errors.Is(err, conn.ErrStopped) ||
		errors.Is(err, conn.ErrTimeout) || errors.Is(err, conn.ErrLeaderChanged) || errors.Is(err, conn.ErrNotLeader)
}

// invoke sends the encoded request req as method and returns the encoded
// answer. The bytes travel as the unknown fields of an empty message, so
// gRPC's default codec carries them unchanged.
func invoke(ctx context.Context, c *conn.Conn, timeout time.Duration, method string, kind connx.Kind, req []byte) ([]byte, error) {
	out := rawpb.NewResponse()
	if err := unary.Call(ctx, c, timeout, method, kind, rawpb.Message(req), out); err != nil {
		return nil, err
	}
	return rawpb.Bytes(out), nil
}

func leaderKeyPB(k LeaderKey) *electionpb.LeaderKey {
	return &electionpb.LeaderKey{Name: []byte(k.Name), Key: []byte(k.Key), Rev: k.Rev, Lease: k.Lease}
}

// serverSays reports whether err is the election service's error msg.
func serverSays(err error, msg string) (*conn.Error, bool) {
	var ce *conn.Error
	if errors.As(err, &ce) && ce.Message == msg {
		return ce, true
	}
	return nil, false
}

func badResponse(method string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrBadResponse, methodName(method), err)
}

func methodName(m string) string {
	for i := len(m) - 1; i >= 0; i-- {
		if m[i] == '/' {
			return m[i+1:]
		}
	}
	return m
}
