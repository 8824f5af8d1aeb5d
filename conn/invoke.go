package conn

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
)

// peerCall carries the call options of one call, among them a grpc.Peer
// option, so that learning which endpoint answered costs no allocation per
// call. All options go per call rather than as dial defaults: gRPC would
// otherwise allocate a slice per call to join the two sets.
type peerCall struct {
	p    peer.Peer
	opts [4]grpc.CallOption // the Conn's callOpts, then the Peer option
}

// invoke runs one unary etcd RPC: it checks the size limit before sending,
// attaches the auth token, re-authenticates once on an invalid or expired
// token, and maps failures to *Error. write says whether the call changes
// state, so that a failure with an unknown outcome is flagged as such.
// getcd's other packages reach it through internal/connx.
func (c *Conn) invoke(ctx context.Context, method string, req, resp proto.Message, write bool) error {
	if c == nil || c.cc == nil {
		return c.usable(method)
	}
	if n := proto.Size(req); n > c.cfg.MaxCallSendMsgSize {
		return &Error{Method: method, Endpoint: "none (not sent)", kind: ErrRequestTooLarge,
			Message: "request of " + strconv.Itoa(n) + " bytes exceeds MaxCallSendMsgSize of " + strconv.Itoa(c.cfg.MaxCallSendMsgSize) + " bytes"}
	}
	if c.auth == nil {
		return c.invokeRaw(ctx, method, req, resp, write)
	}
	tok := c.auth.current()
	err := c.invokeRaw(ctx, method, req, resp, write)
	if err != nil && (errors.Is(err, ErrInvalidAuthToken) || errors.Is(err, ErrAuthOldRevision)) {
		// The server rejected the token before running the request, so even
		// a write is safe to send again.
		if _, rerr := c.auth.refresh(ctx, tok); rerr != nil {
			return rerr
		}
		err = c.invokeRaw(ctx, method, req, resp, write)
	}
	return err
}

func (c *Conn) invokeRaw(ctx context.Context, method string, req, resp proto.Message, write bool) error {
	if c.closed.Load() {
		return &Error{Method: method, Endpoint: c.epList, kind: ErrClosed}
	}
	pc := c.calls.Get().(*peerCall)
	err := c.cc.Invoke(ctx, method, req, resp, pc.opts[:]...)
	if err != nil {
		// gRPC fills in the peer only once a stream to an endpoint exists.
		// Without one the request never left the client, so even a write
		// has a known outcome: not applied.
		sent := pc.p.Addr != nil
		ep := "none of " + c.epList + " (not sent)"
		if sent {
			ep = pc.p.Addr.String()
		}
		if c.closed.Load() {
			err = &Error{Method: method, Endpoint: ep, kind: ErrClosed, Message: err.Error(), Unknown: write && sent}
		} else {
			err = mapError(ctx, method, ep, write && sent, err)
		}
	}
	pc.p = peer.Peer{}
	c.calls.Put(pc)
	return err
}
