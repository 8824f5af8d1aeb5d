package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults for the zero values of Config.
const (
	DefaultDialTimeout        = 5 * time.Second
	DefaultKeepAliveTime      = 30 * time.Second
	DefaultKeepAliveTimeout   = 10 * time.Second
	DefaultMaxCallSendMsgSize = 2 * 1024 * 1024 // etcd's --max-request-bytes default is 1.5 MiB
	DefaultMaxCallRecvMsgSize = 1<<31 - 1
	DefaultBackoffBase        = 100 * time.Millisecond
	DefaultBackoffMax         = 5 * time.Second
	DefaultProbeInterval      = time.Second
)

// Config describes one connection to one etcd cluster. Every zero value
// means the documented default, so Config{Endpoints: eps} is a complete
// configuration.
type Config struct {
	// Endpoints are the cluster's client URLs: "127.0.0.1:2379",
	// "[::1]:2379", "etcd-0.example:2379", or the same with an http:// or
	// https:// scheme. At least one is required. https:// turns TLS on.
	Endpoints []string

	// DialTimeout bounds New: it waits this long for one endpoint to become
	// ready (and, with Username, to authenticate). Default 5s.
	DialTimeout time.Duration

	// RequestTimeout, when above zero, bounds every call whose request sets
	// no timeout of its own ([kv.Request.WithTimeout]), in addition to the
	// caller's context. Zero, the default, leaves deadlines to the caller's
	// context, as Go code expects: calls wait for a ready endpoint until the
	// context ends, so give them contexts with deadlines, or set this. It
	// costs a timer per call whose context has no earlier deadline.
	RequestTimeout time.Duration

	// TLS, when set, secures every endpoint. Nil means plain text unless an
	// endpoint says https://, which uses a default tls.Config.
	TLS *tls.Config

	// Username and Password turn on etcd authentication: the connection
	// authenticates, attaches the token to every call and re-authenticates
	// once when the server reports the token invalid or expired.
	Username string
	Password string

	// KeepAliveTime is how long a connection may be idle before gRPC pings
	// the server; KeepAliveTimeout how long it waits for the answer before
	// it closes the connection. Defaults 30s and 10s. etcd's server refuses
	// pings more frequent than its --grpc-keepalive-min-time (5s).
	KeepAliveTime    time.Duration
	KeepAliveTimeout time.Duration

	// MaxCallSendMsgSize is the largest request that will be sent; a larger
	// one fails before it is sent with ErrRequestTooLarge. Default 2 MiB.
	// MaxCallRecvMsgSize is the largest response accepted. Default 2 GiB-1.
	MaxCallSendMsgSize int
	MaxCallRecvMsgSize int

	// BackoffBase and BackoffMax shape gRPC's reconnect backoff per
	// endpoint. Defaults 100ms and 5s.
	BackoffBase time.Duration
	BackoffMax  time.Duration

	// AutoSyncInterval, when above zero, refreshes the endpoints from the
	// cluster's member list at this interval (see Conn.Sync): members that
	// join are used, members that leave are dropped, learners and members
	// that have not started are never used. Zero, the default, keeps the
	// configured endpoints until SetEndpoints or Sync changes them.
	AutoSyncInterval time.Duration

	// ProbeInterval is how often a member taken out of rotation (it
	// answered that it has no leader, or that a NOSPACE or CORRUPT alarm is
	// raised) is asked for its status, to put it back once it is healthy;
	// a member that holds KV calls and has answered none for this long is
	// asked too. Default 1s. See "Leader-aware rotation" in the package
	// documentation.
	ProbeInterval time.Duration

	// DisableRotation keeps every endpoint in rotation whatever it answers:
	// no member is taken out and none is probed. Requests still carry
	// etcd's require-leader metadata, so a member without a leader refuses
	// them at once rather than letting them wait.
	DisableRotation bool

	// Logger receives connection events (endpoint state changes, token
	// refreshes, endpoints taken out of or put back in rotation, endpoint
	// list changes). Default: discard.
	Logger *slog.Logger

	// GeneratedMessages turns getcd's own wire codec off for this
	// connection's key-value calls (Get, Put, Delete, Txn): their requests
	// are then built as etcd's generated protobuf messages and marshalled by
	// gRPC, and their responses unmarshalled into generated messages and
	// converted, as every other call always is. The results are the same;
	// the codec is faster and allocates less. It is for debugging, and so
	// is the environment variable GETCD_CODEC=generated, which does the
	// same for every connection.
	GeneratedMessages bool

	// Coalescing, off by default, merges Get, Put and Delete calls made
	// concurrently on this connection into single transactions; see
	// "Coalescing" in the package documentation.
	Coalescing Coalescing

	// DialOptions are given to gRPC after getcd's keep-alive and backoff
	// options, which they may therefore change, and before the options
	// getcd's promises rest on, which they cannot replace: the endpoints'
	// resolver, the service config (the balancer behind Status and the
	// retry policy that resends reads only), the transport credentials
	// (use TLS) and the auth token. Interceptors, stats handlers and
	// dialers are what they are for. A nil option is a *ConfigError.
	DialOptions []grpc.DialOption
}

// ErrInvalidConfig is matched by every error Validate returns.
var ErrInvalidConfig = errors.New("conn: invalid config")

// ConfigError is the error of an invalid Config, returned by Validate and
// New. It names the field at fault and matches ErrInvalidConfig:
//
//	var ce *conn.ConfigError
//	if errors.As(err, &ce) {
//		log.Printf("fix %s: %s", ce.Field, ce.Reason)
//	}
type ConfigError struct {
	Field  string // the Config field at fault, e.g. "Endpoints"
	Reason string // what is wrong, lower case
}

func (e *ConfigError) Error() string {
	if e == nil {
		return "conn: <nil>"
	}
	return "conn: invalid config: " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// GRPCStatus reports InvalidArgument to status.Code.
func (e *ConfigError) GRPCStatus() *status.Status {
	return status.New(codes.InvalidArgument, e.Error())
}

// configFields is Config without its methods, for printing.
type configFields Config

// redacted returns c with the password hidden.
func (c Config) redacted() configFields {
	if c.Password != "" {
		c.Password = "***"
	}
	return configFields(c)
}

// String describes the configuration with the password hidden, so that a
// Config printed with fmt (%v, %+v, %#v) or logged does not reveal it.
func (c Config) String() string { return fmt.Sprintf("%+v", c.redacted()) }

// GoString is %#v: Go syntax with the password hidden.
func (c Config) GoString() string {
	return "conn.Config" + strings.TrimPrefix(fmt.Sprintf("%#v", c.redacted()), "conn.configFields")
}

// LogValue is String for log/slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Validate checks the configuration without touching the network.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

// validate checks the configuration and returns the parsed endpoints.
func (c Config) validate() ([]endpoint, error) {
	if len(c.Endpoints) == 0 {
		return nil, &ConfigError{Field: "Endpoints", Reason: "at least one endpoint is required"}
	}
	eps, err := parseEndpoints(c.Endpoints)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"DialTimeout", c.DialTimeout}, {"RequestTimeout", c.RequestTimeout}, {"KeepAliveTime", c.KeepAliveTime}, {"KeepAliveTimeout", c.KeepAliveTimeout}, {"BackoffBase", c.BackoffBase}, {"BackoffMax", c.BackoffMax}, {"AutoSyncInterval", c.AutoSyncInterval}, {"ProbeInterval", c.ProbeInterval}} {
		if d.v < 0 {
			return nil, &ConfigError{Field: d.name, Reason: "must not be negative, got " + d.v.String()}
		}
	}
	if c.KeepAliveTime > 0 && c.KeepAliveTime < 5*time.Second {
		return nil, &ConfigError{Field: "KeepAliveTime", Reason: "below 5s etcd's server closes the connection for too many pings, got " + c.KeepAliveTime.String()}
	}
	if c.MaxCallSendMsgSize < 0 {
		return nil, &ConfigError{Field: "MaxCallSendMsgSize", Reason: "must not be negative, got " + strconv.Itoa(c.MaxCallSendMsgSize)}
	}
	if c.MaxCallRecvMsgSize < 0 {
		return nil, &ConfigError{Field: "MaxCallRecvMsgSize", Reason: "must not be negative, got " + strconv.Itoa(c.MaxCallRecvMsgSize)}
	}
	if c.Password != "" && c.Username == "" {
		return nil, &ConfigError{Field: "Username", Reason: "a password was given without a user name"}
	}
	for i, o := range c.DialOptions {
		if o == nil {
			return nil, &ConfigError{Field: "DialOptions", Reason: "option " + strconv.Itoa(i) + " is nil"}
		}
	}
	// etcd's AuthenticateRequest carries both as protobuf strings, which
	// must be UTF-8: gRPC would refuse to encode them.
	if !utf8.ValidString(c.Username) {
		return nil, &ConfigError{Field: "Username", Reason: "not valid UTF-8"}
	}
	if !utf8.ValidString(c.Password) {
		return nil, &ConfigError{Field: "Password", Reason: "not valid UTF-8"}
	}
	if err := c.Coalescing.validate(); err != nil {
		return nil, err
	}
	if c.BackoffMax > 0 && c.BackoffBase > c.BackoffMax {
		return nil, &ConfigError{Field: "BackoffBase", Reason: "exceeds BackoffMax"}
	}
	return eps, nil
}

// withDefaults returns c with every zero value replaced by its default.
func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.DialTimeout, DefaultDialTimeout)
	def(&c.KeepAliveTime, DefaultKeepAliveTime)
	def(&c.KeepAliveTimeout, DefaultKeepAliveTimeout)
	def(&c.BackoffBase, DefaultBackoffBase)
	def(&c.BackoffMax, DefaultBackoffMax)
	def(&c.ProbeInterval, DefaultProbeInterval)
	if c.MaxCallSendMsgSize == 0 {
		c.MaxCallSendMsgSize = DefaultMaxCallSendMsgSize
	}
	if c.MaxCallRecvMsgSize == 0 {
		c.MaxCallRecvMsgSize = DefaultMaxCallRecvMsgSize
	}
	if c.Coalescing.Enabled {
		c.Coalescing = c.Coalescing.withDefaults(c.MaxCallSendMsgSize)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
