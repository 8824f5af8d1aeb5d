package conn

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/internal/codec"
)

// peerCall carries the call options of one call, among them a grpc.Peer
// option, so that learning which endpoint answered costs no allocation per
// call. All options go per call rather than as dial defaults: gRPC would
// otherwise allocate a slice per call to join the two sets.
type peerCall struct {
	p    peer.Peer
	opts [5]grpc.CallOption // the Conn's callOpts, the Peer option, then getcd's codec
}

// options returns the call options for req: with getcd's codec forced for
// a request it encodes (codec.Message), gRPC's proto codec otherwise.
func (pc *peerCall) options(req any) []grpc.CallOption {
	if _, ok := req.(codec.Message); ok {
		return pc.opts[:]
	}
	return pc.opts[:len(pc.opts)-1]
}

// invoke runs one unary etcd RPC: it checks the size limit before sending,
// attaches the auth token, re-authenticates once on an invalid or expired
// token, and maps failures to *Error. write says whether the call changes
// state, so that a failure with an unknown outcome is flagged as such.
// getcd's other packages reach it through internal/connx. req and resp are
// protobuf messages, or a codec.Message and a codec.Unmarshaler for the
// key-value calls through getcd's codec.
func (c *Conn) invoke(ctx context.Context, method string, req, resp any, write bool) error {
	if c == nil || c.cc == nil {
		return c.usable(method)
	}
	if n := requestSize(req); n > c.cfg.MaxCallSendMsgSize {
		return &Error{Method: method, NotSent: true, Code: codes.ResourceExhausted, kind: ErrRequestTooLarge,
			Message: "request of " + strconv.Itoa(n) + " bytes exceeds MaxCallSendMsgSize of " + strconv.Itoa(c.cfg.MaxCallSendMsgSize) + " bytes"}
	}
	if c.auth == nil {
		return c.invokeResend(ctx, method, req, resp, write)
	}
	tok := c.auth.current()
	err := c.invokeResend(ctx, method, req, resp, write)
	if err != nil && (errors.Is(err, ErrInvalidAuthToken) || errors.Is(err, ErrAuthOldRevision)) {
		// The server rejected the token before running the request, so even
		// a write is safe to send again.
		if _, rerr := c.auth.refresh(ctx, tok); rerr != nil {
			return rerr
		}
		err = c.invokeResend(ctx, method, req, resp, write)
	}
	return err
}

// invokeResend is invokeRaw, sent again to another member when the member
// that answered had no leader and the call may be resent (resendNoLeader).
func (c *Conn) invokeResend(ctx context.Context, method string, req, resp any, write bool) error {
	err := c.invokeRaw(ctx, method, req, resp, write)
	for try := 1; err != nil && c.resendNoLeader(method, write, err, try); try++ {
		err = c.invokeRaw(ctx, method, req, resp, write)
	}
	return err
}

// closedError is the error of a call on a closed connection; sent says
// whether the request had reached ep before the connection closed.
func (c *Conn) closedError(method string, ep string, sent, write bool, msg string) *Error {
	e := &Error{Method: method, Endpoint: ep, NotSent: !sent, Code: codes.Canceled, kind: ErrClosed,
		Message: "connection closed", Unknown: write && sent}
	if !sent {
		e.Tried = c.Endpoints()
	}
	if msg != "" {
		e.Message += ": " + msg
	}
	return e
}

// callError maps the failure of a call (unary or stream) to an *Error. p is
// the peer the call reached: gRPC fills it in only once a stream to an
// endpoint exists, so without one the request never left the client and
// even a write has a known outcome, not applied.
//
// A request gRPC could not encode was not sent either, though a member was
// picked: grpc-go's encode (rpc_util.go) fails with codes.Internal and
// "grpc: error while marshaling: ..." before any byte of the message is
// written (a protobuf string field that is not UTF-8, for one), and the
// stream ends without a request for etcd to read, so etcd runs nothing.
func (c *Conn) callError(ctx context.Context, method string, p *peer.Peer, write bool, err error) *Error {
	sent := p != nil && p.Addr != nil && !marshalFailed(err)
	ep := ""
	if sent {
		ep = p.Addr.String()
	}
	if c.closed.Load() {
		return c.closedError(method, ep, sent, write, status.Convert(err).Message())
	}
	if !sent {
		st := statusOf(err)
		return notSent(ctx, method, c.Endpoints(), nil, st.Code(), st.Message())
	}
	return mapError(ctx, method, ep, write, c.cfg.MaxCallRecvMsgSize, err)
}

func (c *Conn) invokeRaw(ctx context.Context, method string, req, resp any, write bool) error {
	if c.closed.Load() {
		return c.closedError(method, "", false, write, "")
	}
	if requireLeader(method, req, write) {
		ctx = withRequireLeader(ctx)
	}
	pc := c.calls.Get().(*peerCall)
	err := c.cc.Invoke(ctx, method, req, resp, pc.options(req)...)
	if err != nil {
		err = c.callError(ctx, method, &pc.p, write, err)
	}
	pc.p = peer.Peer{}
	c.calls.Put(pc)
	return err
}

// marshalFailed says whether err is gRPC's refusal to encode a request.
func marshalFailed(err error) bool {
	st := statusOf(err)
	return st.Code() == codes.Internal && strings.HasPrefix(st.Message(), "grpc: error while marshaling")
}
