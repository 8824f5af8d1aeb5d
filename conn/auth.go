package conn

import (
	"context"
	"sync"
	"sync/atomic"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

const methodAuthenticate = "/etcdserverpb.Auth/Authenticate"

// tokenAuth attaches the etcd auth token to every call as per-RPC
// credentials and refreshes it when the server rejects it.
//
// A refresh is one flight: the first caller that finds the token refused
// starts an Authenticate call in a goroutine of its own, and every caller,
// that one included, waits for it or for the end of its own context,
// whichever comes first. The flight is bounded by DialTimeout, not by any
// caller's context, so that one caller giving up does not fail the others;
// Close cancels it and waits for it.
type tokenAuth struct {
	c *Conn

	tok atomic.Pointer[tokenState] // nil until the first authentication

	mu     sync.Mutex
	flight *refresh // the refresh under way, or nil
	closed bool
	wg     sync.WaitGroup // the flight's goroutine
}

// tokenState is one token and the metadata that carries it; it is never
// changed once published.
type tokenState struct {
	token string
	md    map[string]string // {"token": token}
}

// refresh is one Authenticate call that callers wait for. token and err are
// set before done is closed.
type refresh struct {
	done   chan struct{}
	cancel context.CancelFunc
	token  string
	err    error
}

func newTokenAuth(c *Conn) *tokenAuth { return &tokenAuth{c: c} }

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

// refresh returns a token other than stale: the current one if another
// caller already replaced stale, or the one the refresh under way (started
// here if none is) obtains. It waits at most until ctx ends.
func (a *tokenAuth) refresh(ctx context.Context, stale string) (string, error) {
	a.mu.Lock()
	if cur := a.current(); cur != stale {
		a.mu.Unlock()
		return cur, nil
	}
	if a.closed {
		a.mu.Unlock()
		return "", a.c.closedError(methodAuthenticate, "", false, false, "")
	}
	f := a.flight
	if f == nil {
		fctx, cancel := context.WithTimeout(context.Background(), a.c.cfg.DialTimeout)
		f = &refresh{done: make(chan struct{}), cancel: cancel}
		a.flight = f
		a.wg.Add(1)
		go a.run(fctx, f)
	}
	a.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		// The request that needed the token was refused before it ran, so
		// even a write has a known outcome: not applied.
		return "", &Error{Method: methodAuthenticate, Code: status.FromContextError(ctx.Err()).Code(),
			Message: "gave up waiting for authentication: " + ctx.Err().Error(), kind: ctx.Err(), ctxErr: ctx.Err()}
	}
}

// run is the flight: one Authenticate call, its result published to the
// waiters and, on success, as the connection's token.
func (a *tokenAuth) run(ctx context.Context, f *refresh) {
	defer a.wg.Done()
	defer f.cancel()
	resp := &pb.AuthenticateResponse{}
	req := &pb.AuthenticateRequest{Name: a.c.cfg.Username, Password: a.c.cfg.Password}
	err := a.c.invokeRaw(ctx, methodAuthenticate, req, resp, false)
	if err != nil && ctx.Err() != nil && !a.c.closed.Load() {
		// The flight's own bound, not any waiter's context: say so, rather
		// than report a context error to callers whose contexts are fine.
		err = &Error{Method: methodAuthenticate, Code: codes.DeadlineExceeded, kind: ErrTimeout,
			Message: "authentication did not finish within DialTimeout (" + a.c.cfg.DialTimeout.String() + "): " + err.Error()}
	}
	a.mu.Lock()
	if err == nil {
		a.tok.Store(&tokenState{token: resp.Token, md: map[string]string{"token": resp.Token}})
		f.token = resp.Token
	}
	f.err = err
	a.flight = nil
	close(f.done)
	a.mu.Unlock()
	if err == nil {
		a.c.cfg.Logger.Debug("getcd: authenticated", "user", a.c.cfg.Username)
	}
}

// close cancels the refresh under way, if any, and waits for it to end.
func (a *tokenAuth) close() {
	a.mu.Lock()
	a.closed = true
	if a.flight != nil {
		a.flight.cancel()
	}
	a.mu.Unlock()
	a.wg.Wait()
}
