package conn

import (
	"context"
	"sync"
	"sync/atomic"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/credentials"
)

const methodAuthenticate = "/etcdserverpb.Auth/Authenticate"

// tokenAuth attaches the etcd auth token to every call as per-RPC
// credentials and refreshes it when the server rejects it.
type tokenAuth struct {
	c *Conn

	mu  sync.Mutex                 // serializes refreshes
	tok atomic.Pointer[tokenState] // nil until the first authentication
}

// tokenState is one token and the metadata that carries it; it is never
// changed once published.
type tokenState struct {
	token string
	md    map[string]string // {"token": token}
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (a *tokenAuth) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if ri, ok := credentials.RequestInfoFromContext(ctx); ok && ri.Method == methodAuthenticate {
		return nil, nil
	}
	if st := a.tok.Load(); st != nil {
		return st.md, nil
	}
	return nil, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials. etcd
// accepts tokens over plain text connections; whether to use TLS is the
// configuration's choice.
func (a *tokenAuth) RequireTransportSecurity() bool { return false }

func (a *tokenAuth) current() string {
	if st := a.tok.Load(); st != nil {
		return st.token
	}
	return ""
}

// refresh authenticates again unless another caller already replaced the
// token stale, and returns the new token.
func (a *tokenAuth) refresh(ctx context.Context, stale string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur := a.current(); cur != stale {
		return cur, nil
	}
	resp := &pb.AuthenticateResponse{}
	req := &pb.AuthenticateRequest{Name: a.c.cfg.Username, Password: a.c.cfg.Password}
	if err := a.c.invokeRaw(ctx, methodAuthenticate, req, resp, false); err != nil {
		return "", err
	}
	a.tok.Store(&tokenState{token: resp.Token, md: map[string]string{"token": resp.Token}})
	a.c.cfg.Logger.Debug("getcd: authenticated", "user", a.c.cfg.Username)
	return resp.Token, nil
}
