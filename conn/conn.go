package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking of each endpoint
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/internal/connx"
)

// Conn is one connection to one etcd cluster: a gRPC client connection
// spread over every endpoint with round-robin balancing, per-endpoint health
// checks, keep-alive and reconnect backoff. It is safe for concurrent use.
//
// Only New makes a Conn. The methods of a nil or zero Conn do not panic: the
// calls fail with an *Error matching ErrClosed, Status and Endpoints return
// nothing and Done returns a closed channel.
type Conn struct {
	cfg       Config
	eps       atomic.Pointer[[]endpoint] // never changed once stored; replaced by SetEndpoints
	secure    bool                       // the transport is TLS
	epsMu     sync.Mutex                 // serializes endpoint changes
	cc        *grpc.ClientConn
	resolver  *manual.Resolver
	tracker   *tracker
	health    *health        // nil with DisableRotation
	live      liveConns      // the network connections of each endpoint (see rescue.go)
	bg        sync.WaitGroup // the prober and the auto-sync
	bgCtx     context.Context
	bgCancel  context.CancelFunc // ends bgCtx, at Close
	auth      *tokenAuth         // nil without Username
	callOpts  []grpc.CallOption
	calls     sync.Pool  // of *peerCall
	generated bool       // key-value calls use etcd's generated messages, not getcd's codec
	co        *coalescer // nil unless Config.Coalescing is on
	closeOnce sync.Once
	closed    atomic.Bool
	done      chan struct{}

	sharedMu sync.Mutex        // guards shared
	shared   map[any]io.Closer // per-connection objects of getcd's packages (connx.Shared)
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
	c := &Conn{cfg: cfg, done: make(chan struct{}), generated: codecOff(cfg)}
	c.bgCtx, c.bgCancel = context.WithCancel(context.Background())
	c.eps.Store(&eps)
	c.callOpts = []grpc.CallOption{
		grpc.WaitForReady(true),
		grpc.MaxCallSendMsgSize(cfg.MaxCallSendMsgSize),
		grpc.MaxCallRecvMsgSize(cfg.MaxCallRecvMsgSize),
	}
	c.calls.New = func() any {
		pc := &peerCall{}
		copy(pc.opts[:], c.callOpts)
		pc.opts[len(c.callOpts)] = grpc.Peer(&pc.p)
		pc.opts[len(c.callOpts)+1] = codecOption
		return pc
	}
	if cfg.Coalescing.Enabled && !c.generated {
		c.co = newCoalescer(c, cfg.Coalescing)
	}
	c.tracker = newTracker(eps, cfg.BackoffBase, cfg.BackoffMax, cfg.Logger)
	if !cfg.DisableRotation {
		c.health = newHealth(c)
	}

	// Each connection gets its own resolver scheme, so no global registry
	// is touched and two connections never see each other's endpoints.
	scheme := "getcd-" + strconv.FormatUint(connSeq.Add(1), 10)
	c.resolver = manual.NewBuilderWithScheme(scheme)
	c.resolver.InitialState(c.resolverState())

	creds := insecure.NewCredentials()
	c.secure = cfg.TLS != nil || (len(eps) > 0 && eps[0].secure)
	if tlsCfg := cfg.TLS; c.secure {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(tlsCfg)
	}
	// Tunable options first, then the user's, then what getcd's promises
	// rest on and DialOptions cannot replace (the last option of a kind
	// wins): the resolver of the endpoints, the service config (the
	// balancer that tracks each endpoint and the retry policy that only
	// resends reads), the transport credentials and auth.
	opts := make([]grpc.DialOption, 0, 7+len(cfg.DialOptions))
	opts = append(opts,
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: cfg.KeepAliveTime, Timeout: cfg.KeepAliveTimeout}),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: cfg.BackoffBase, Multiplier: backoffMultiplier, Jitter: 0.2, MaxDelay: cfg.BackoffMax},
			MinConnectTimeout: cfg.DialTimeout,
		}))
	opts = append(opts, cfg.DialOptions...)
	opts = append(opts,
		grpc.WithResolvers(c.resolver),
		grpc.WithDefaultServiceConfig(serviceConfig),
		grpc.WithTransportCredentials(recordingCreds{TransportCredentials: creds, live: &c.live}))
	if cfg.Username != "" {
		c.auth = newTokenAuth(c)
		opts = append(opts, grpc.WithPerRPCCredentials(c.auth))
	}
	cc, err := grpc.NewClient(scheme+":///etcd", opts...)
	if err != nil {
		return nil, &ConfigError{Field: "DialOptions", Reason: err.Error()}
	}
	c.cc = cc
	cc.Connect()

	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	select {
	case <-c.tracker.onReady:
	case <-dctx.Done():
		_ = c.Close()
		code, why := codes.Unavailable, "no endpoint became ready within DialTimeout ("+cfg.DialTimeout.String()+")"
		if ctx.Err() != nil {
			code, why = status.FromContextError(ctx.Err()).Code(), "no endpoint became ready before the context ended ("+ctx.Err().Error()+")"
		}
		return nil, &Error{Method: MethodConnect, Tried: c.Endpoints(), Code: code, kind: ErrUnavailable,
			ctxErr: ctx.Err(), Message: why + ": " + c.tracker.lastErrors()}
	}
	if c.auth != nil {
		if _, err := c.auth.refresh(dctx, ""); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	if c.health != nil {
		c.bg.Go(c.health.run)
	}
	if cfg.AutoSyncInterval > 0 {
		c.bg.Go(c.autoSync)
	}
	return c, nil
}

// endpoints returns the current endpoints; the slice is never changed.
func (c *Conn) endpoints() []endpoint { return *c.eps.Load() }

func (c *Conn) resolverState() resolver.State {
	eps := c.endpoints()
	addrs := make([]resolver.Address, len(eps))
	for i, ep := range eps {
		addrs[i] = resolver.Address{Addr: ep.addr, ServerName: ep.host, Attributes: endpointAttrs(ep.addr)}
	}
	return resolver.State{Addresses: addrs, Attributes: attributes.New(trackerKey{}, balancerState{c.tracker, c.health})}
}

// MethodConnect is the Method of the *Error New returns when no endpoint
// became ready.
const MethodConnect = "connect"

// Close closes the connection and ends everything that runs on it: calls in
// flight fail with ErrClosed or context.Canceled, and the lease keep-alive and
// watch streams of the connection end, with their handles reporting
// ErrClosed. Close is idempotent; on a nil or zero Conn it returns an error
// matching ErrClosed.
func (c *Conn) Close() error {
	if err := c.usable("close"); err != nil {
		return err
	}
	var err error
	c.closeOnce.Do(func() {
		c.epsMu.Lock() // an endpoint change under way ends first; none starts after
		c.closed.Store(true)
		c.epsMu.Unlock()
		close(c.done)
		if c.co != nil {
			c.co.close() // after closed: nothing queues from now on
		}
		c.bgCancel()
		c.bg.Wait() // the prober and the auto-sync end with done
		serr := c.closeShared()
		if c.auth != nil {
			c.auth.close()
		}
		c.tracker.close()
		err = errors.Join(serr, c.cc.Close())
	})
	return err
}

// usable reports the misuse of a Conn that New did not make.
func (c *Conn) usable(method string) error {
	if c == nil || c.cc == nil {
		return &Error{Method: method, NotSent: true, Code: codes.FailedPrecondition, kind: ErrClosed,
			Message: "not a connection made by conn.New"}
	}
	return nil
}

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} {
	if c == nil || c.done == nil {
		return connx.Closed()
	}
	return c.done
}

// ClientConn returns the underlying gRPC connection, for calls getcd does not
// wrap; nil for a Conn that New did not make. Calls made on it directly get
// the connection's balancing, retry policy of reads and auth token, but not
// its error mapping or outcome classification.
func (c *Conn) ClientConn() *grpc.ClientConn {
	if c == nil {
		return nil
	}
	return c.cc
}

// Endpoints returns the endpoints as host:port, in configuration order, or
// as SetEndpoints or Sync last changed them.
func (c *Conn) Endpoints() []string {
	if c == nil || c.eps.Load() == nil {
		return nil
	}
	eps := c.endpoints()
	out := make([]string, len(eps))
	for i, ep := range eps {
		out[i] = ep.addr
	}
	return out
}

// Status returns the state of every endpoint; nothing for a Conn that New
// did not make.
func (c *Conn) Status() []EndpointStatus {
	if c == nil || c.tracker == nil {
		return nil
	}
	return c.tracker.snapshot()
}

// Config returns the configuration as given to New, with defaults filled in
// for its zero values. It includes the password, so that passing it back to
// New opens the same connection; print or log it through its String or
// LogValue methods (as fmt and log/slog do), which hide the password.
func (c *Conn) Config() Config {
	if c == nil {
		return Config{}
	}
	return c.cfg
}

// serviceConfig: round robin over every endpoint with client-side health
// checks; reads (calls that change nothing) are retried by gRPC on
// UNAVAILABLE, which the round robin sends to the next endpoint. Writes have
// no retry policy: gRPC's transparent retry alone replays them, and only
// when they never left the client. Among the writes left out: LeaseRevoke,
// LeaseGrant, Compact, the member and auth changes, Defragment, and
// Maintenance/Alarm, which also activates and deactivates alarms. A test
// checks every name against etcd's service descriptors.
//
// Authenticate goes through raft, but resending it only issues another
// token, so it is retried like a read.
const serviceConfig = `{
  "loadBalancingConfig": [{"` + balancerName + `": {}}],
  "healthCheckConfig": {"serviceName": ""},
  "methodConfig": [{
    "name": [
      {"service": "etcdserverpb.KV", "method": "Range"},
      {"service": "etcdserverpb.Lease", "method": "LeaseTimeToLive"},
      {"service": "etcdserverpb.Lease", "method": "LeaseLeases"},
      {"service": "etcdserverpb.Cluster", "method": "MemberList"},
      {"service": "etcdserverpb.Maintenance", "method": "Status"},
      {"service": "etcdserverpb.Maintenance", "method": "Hash"},
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
