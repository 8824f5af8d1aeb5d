package conn

import (
	"context"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/credentials"
)

const methodAuthenticate = "/etcdserverpb.Auth/Authenticate"

// tokenAuth attaches the etcd auth token to every call as per-RPC
// credentials and refreshes it when the server rejects it.
type tokenAuth struct {
	c      *Conn
	secure bool

	mu    sync.Mutex // serializes refreshes
	state sync.Mutex // guards token and md
	token string
	md    map[string]string // {"token": token}; never mutated once built
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (a *tokenAuth) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if ri, ok := credentials.RequestInfoFromContext(ctx); ok && ri.Method == methodAuthenticate {
		return nil, nil
	}
	a.state.Lock()
	md := a.md
	a.state.Unlock()
	return md, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials. etcd
// accepts tokens over plain text connections; whether to use TLS is the
// configuration's choice.
func (a *tokenAuth) RequireTransportSecurity() bool { return false }

func (a *tokenAuth) current() string {
	a.state.Lock()
	defer a.state.Unlock()
	return a.token
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
	a.state.Lock()
	a.token = resp.Token
	a.md = map[string]string{"token": resp.Token}
	a.state.Unlock()
	a.c.cfg.Logger.Debug("getcd: authenticated", "user", a.c.cfg.Username)
	return resp.Token, nil
}
