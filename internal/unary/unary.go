// Package unary runs one unary etcd call for the admin packages
// (maintenance, membership, rbac): the request's own timeout or else the
// connection's RequestTimeout, then connx's Invoke with the call's kind.
package unary

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
)

// Call sends req on c as method and fills resp. timeout is the request's
// own (zero for none, in which case conn.Config.RequestTimeout applies when
// set). kind says whether the call changes state.
func Call(ctx context.Context, c *conn.Conn, timeout time.Duration, method string, kind connx.Kind, req, resp proto.Message) error {
	x, err := connx.Get(c)
	if err != nil {
		return err
	}
	if timeout == 0 {
		timeout = c.Config().RequestTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return x.Invoke(ctx, method, req, resp, kind)
}
