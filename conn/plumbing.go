package conn

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/internal/connx"
)

// plumbing is the connx.Conn of a Conn: what getcd's lease, watch, stm and
// admin packages use, and users do not see.
type plumbing struct{ c *Conn }

func init() {
	connx.Hook = func(c *Conn) (connx.Conn, error) {
		if err := c.usable(""); err != nil {
			return nil, err
		}
		return plumbing{c}, nil
	}
}

func (p plumbing) Invoke(ctx context.Context, method string, req, resp proto.Message, kind connx.Kind) error {
	return p.c.invoke(ctx, method, req, resp, kind == connx.Write)
}

func (p plumbing) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	c := p.c
	if c.closed.Load() {
		return nil, c.closedError(method, "", false, false, "")
	}
	all := make([]grpc.CallOption, 0, len(c.callOpts)+len(opts))
	all = append(append(all, c.callOpts...), opts...)
	return c.cc.NewStream(ctx, desc, method, all...)
}

func (p plumbing) Error(ctx context.Context, method string, pr *peer.Peer, kind connx.Kind, err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return p.c.callError(ctx, method, pr, kind == connx.Write, err)
}

func (p plumbing) Reauth(ctx context.Context, err error) (bool, error) {
	c := p.c
	if c.auth == nil || !(errors.Is(err, ErrInvalidAuthToken) || errors.Is(err, ErrAuthOldRevision)) {
		return false, nil
	}
	if _, rerr := c.auth.refresh(ctx, c.auth.current()); rerr != nil {
		return false, rerr
	}
	return true, nil
}

func (p plumbing) Shared(key any, create func() io.Closer) (io.Closer, error) {
	c := p.c
	c.sharedMu.Lock()
	defer c.sharedMu.Unlock()
	if c.closed.Load() {
		return nil, &Error{Method: "shared", Code: codes.Canceled, Message: "connection closed", kind: ErrClosed}
	}
	if v, ok := c.shared[key]; ok {
		return v, nil
	}
	if c.shared == nil {
		c.shared = make(map[any]io.Closer)
	}
	v := create()
	c.shared[key] = v
	return v, nil
}

func (p plumbing) Done() <-chan struct{} { return p.c.done }

func (p plumbing) Logger() *slog.Logger { return p.c.cfg.Logger }

// closeShared closes every object attached with Shared. The connection is
// already marked closed, so no new one can be attached.
func (c *Conn) closeShared() error {
	c.sharedMu.Lock()
	objs := c.shared
	c.shared = nil
	c.sharedMu.Unlock()
	var errs []error
	for _, v := range objs {
		if err := v.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
