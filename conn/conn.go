package conn

import (
	"context"
	"crypto/tls"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking of each endpoint
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// Conn is one connection to one etcd cluster: a gRPC client connection
// spread over every endpoint with round-robin balancing, per-endpoint health
// checks, keep-alive and reconnect backoff. It is safe for concurrent use.
type Conn struct {
	cfg       Config
	eps       []endpoint
	epList    string // "a, b, c" for errors
	cc        *grpc.ClientConn
	resolver  *manual.Resolver
	tracker   *tracker
	auth      *tokenAuth // nil without Username
	callOpts  []grpc.CallOption
	calls     sync.Pool // of *peerCall
	closeOnce sync.Once
	closed    atomic.Bool
	done      chan struct{}
}

var connSeq atomic.Uint64

// New opens a connection. It validates cfg, then waits up to DialTimeout
// (bounded by ctx) for one endpoint to become ready and, with a Username,
// authenticates. On failure nothing is left running.
func New(ctx context.Context, cfg Config) (*Conn, error) {
	eps, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Conn{cfg: cfg, eps: eps, done: make(chan struct{})}
	names := make([]string, len(eps))
	for i, ep := range eps {
		names[i] = ep.addr
	}
	c.epList = strings.Join(names, ", ")
	c.callOpts = []grpc.CallOption{
		grpc.WaitForReady(true),
		grpc.MaxCallSendMsgSize(cfg.MaxCallSendMsgSize),
		grpc.MaxCallRecvMsgSize(cfg.MaxCallRecvMsgSize),
	}
	c.calls.New = func() any {
		pc := &peerCall{}
		copy(pc.opts[:], c.callOpts)
		pc.opts[len(pc.opts)-1] = grpc.Peer(&pc.p)
		return pc
	}
	c.tracker = newTracker(eps, cfg.BackoffBase, cfg.BackoffMax, cfg.Logger)

	// Each connection gets its own resolver scheme, so no global registry
	// is touched and two connections never see each other's endpoints.
	scheme := "getcd-" + strconv.FormatUint(connSeq.Add(1), 10)
	c.resolver = manual.NewBuilderWithScheme(scheme)
	c.resolver.InitialState(c.resolverState())

	creds := insecure.NewCredentials()
	if tlsCfg := cfg.TLS; tlsCfg != nil || (len(eps) > 0 && eps[0].secure) {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(tlsCfg)
	}
	opts := []grpc.DialOption{
		grpc.WithResolvers(c.resolver),
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(serviceConfig),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: cfg.KeepAliveTime, Timeout: cfg.KeepAliveTimeout}),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: cfg.BackoffBase, Multiplier: 1.6, Jitter: 0.2, MaxDelay: cfg.BackoffMax},
			MinConnectTimeout: cfg.DialTimeout,
		}),
	}
	if cfg.Username != "" {
		c.auth = &tokenAuth{c: c}
		opts = append(opts, grpc.WithPerRPCCredentials(c.auth))
	}
	opts = append(opts, cfg.DialOptions...)
	cc, err := grpc.NewClient(scheme+":///etcd", opts...)
	if err != nil {
		return nil, &configError{"Endpoints", err.Error()}
	}
	c.cc = cc
	cc.Connect()

	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	select {
	case <-c.tracker.onReady:
	case <-dctx.Done():
		_ = c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Method: "connect", Endpoint: c.epList, kind: ErrUnavailable,
			Message: "no endpoint became ready within " + cfg.DialTimeout.String() + ": " + c.tracker.lastErrors()}
	}
	if c.auth != nil {
		if _, err := c.auth.refresh(dctx, ""); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *Conn) resolverState() resolver.State {
	addrs := make([]resolver.Address, len(c.eps))
	for i, ep := range c.eps {
		addrs[i] = resolver.Address{Addr: ep.addr, ServerName: ep.host}
	}
	return resolver.State{Addresses: addrs, Attributes: attributes.New(trackerKey{}, c.tracker)}
}

// Close closes the connection. Calls in flight fail with ErrClosed or
// context.Canceled. Close is idempotent.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		c.tracker.close()
		err = c.cc.Close()
	})
	return err
}

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ClientConn returns the underlying gRPC connection, for the lease, watch
// and maintenance packages and for calls getcd does not wrap.
func (c *Conn) ClientConn() *grpc.ClientConn { return c.cc }

// Endpoints returns the endpoints as host:port, in configuration order.
func (c *Conn) Endpoints() []string {
	out := make([]string, len(c.eps))
	for i, ep := range c.eps {
		out[i] = ep.addr
	}
	return out
}

// Status returns the state of every endpoint.
func (c *Conn) Status() []EndpointStatus { return c.tracker.snapshot() }

// Config returns the configuration with defaults filled in. The password is
// blanked.
func (c *Conn) Config() Config {
	cfg := c.cfg
	if cfg.Password != "" {
		cfg.Password = "***"
	}
	return cfg
}

// serviceConfig: round robin over every endpoint with client-side health
// checks; reads (and other calls that change nothing) are retried by gRPC
// on UNAVAILABLE, which the round robin sends to the next endpoint. Writes
// have no retry policy: gRPC's transparent retry alone replays them, and
// only when they never left the client.
const serviceConfig = `{
  "loadBalancingConfig": [{"` + balancerName + `": {}}],
  "healthCheckConfig": {"serviceName": ""},
  "methodConfig": [{
    "name": [
      {"service": "etcdserverpb.KV", "method": "Range"},
      {"service": "etcdserverpb.Lease", "method": "LeaseTimeToLive"},
      {"service": "etcdserverpb.Lease", "method": "LeaseLeases"},
      {"service": "etcdserverpb.Lease", "method": "LeaseRevoke"},
      {"service": "etcdserverpb.Cluster", "method": "MemberList"},
      {"service": "etcdserverpb.Maintenance", "method": "Status"},
      {"service": "etcdserverpb.Maintenance", "method": "AlarmList"},
      {"service": "etcdserverpb.Maintenance", "method": "HashKV"},
      {"service": "etcdserverpb.Auth", "method": "Authenticate"},
      {"service": "etcdserverpb.Auth", "method": "AuthStatus"},
      {"service": "etcdserverpb.Auth", "method": "UserGet"},
      {"service": "etcdserverpb.Auth", "method": "UserList"},
      {"service": "etcdserverpb.Auth", "method": "RoleGet"},
      {"service": "etcdserverpb.Auth", "method": "RoleList"}
    ],
    "retryPolicy": {
      "maxAttempts": 5,
      "initialBackoff": "0.025s",
      "maxBackoff": "0.5s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`

// CallOptions returns the options getcd gives every call: wait for a ready
// endpoint, and the message size limits. Streams opened on ClientConn
// should use them too. The caller must not modify the slice.
func (c *Conn) CallOptions() []grpc.CallOption { return c.callOpts }

// requestTimeout applies the per-request timeout, or the configured
// default, to ctx.
func (c *Conn) requestTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d == 0 {
		d = c.cfg.RequestTimeout
	}
	if d <= 0 {
		return ctx, noCancel
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, noCancel
	}
	return context.WithTimeout(ctx, d)
}

func noCancel() {}
