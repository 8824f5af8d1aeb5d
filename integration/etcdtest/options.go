package etcdtest

// Option configures a server started by Start, StartShared, StartProcess or
// StartProcessShared.
type Option func(*config)

// config is the intent recorded by the Options.
type config struct {
	tls            bool
	clientCertAuth bool
	authToken      string
	authTokenTTL   uint
	maxTxnOps      uint
	maxRequestByte uint
	// quotaBackendBytes is etcd's --quota-backend-bytes.
	quotaBackendBytes int64
	bcryptCost        uint
	noFsync           bool
	// advertiseClientURLs replaces the client URL the member advertises.
	advertiseClientURLs []string

	// dedicated is set by every Option that an external cluster
	// (ETCD_ENDPOINTS) cannot satisfy.
	dedicated bool
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithTLS serves the client port over TLS with a certificate chain generated
// in-process: a CA, a server certificate for 127.0.0.1, ::1 and localhost,
// and a client certificate. The files are listed in Server.TLS, and
// Server.TLS.ClientTLSConfig returns a matching client configuration.
//
// Without WithClientCertAuth the server does not ask clients for a
// certificate.
func WithTLS() Option {
	return func(c *config) {
		c.tls = true
		c.dedicated = true
	}
}

// WithClientCertAuth serves the client port over TLS (it implies WithTLS)
// and requires every client to present a certificate signed by the generated
// CA. When etcd auth is enabled the certificate's common name (ClientCertCN)
// is taken as the user name.
func WithClientCertAuth() Option {
	return func(c *config) {
		c.tls = true
		c.clientCertAuth = true
		c.dedicated = true
	}
}

// WithAuthToken sets etcd's --auth-token, the kind of token handed out by
// Authenticate. The default is "simple".
func WithAuthToken(kind string) Option {
	return func(c *config) {
		c.authToken = kind
		c.dedicated = true
	}
}

// WithTokenTTL sets the lifetime of simple auth tokens in seconds
// (--auth-token-ttl, embed.Config.AuthTokenTTL; etcd's default is 300), so
// that tests can make tokens expire quickly. Zero keeps the default.
func WithTokenTTL(seconds uint) Option {
	return func(c *config) {
		c.authTokenTTL = seconds
		c.dedicated = true
	}
}

// WithMaxTxnOps sets the maximum number of operations in one transaction
// (--max-txn-ops; etcd's default is 128). Zero keeps the default.
func WithMaxTxnOps(n uint) Option {
	return func(c *config) {
		c.maxTxnOps = n
		c.dedicated = true
	}
}

// WithMaxRequestBytes sets the largest client request the server accepts
// (--max-request-bytes; etcd's default is 1.5 MiB). Zero keeps the default.
func WithMaxRequestBytes(n uint) Option {
	return func(c *config) {
		c.maxRequestByte = n
		c.dedicated = true
	}
}

// WithUnsafeNoFsync turns off the server's fsync of its write-ahead log
// and backend (--unsafe-no-fsync): writes are no longer durable across a
// crash, and their cost no longer includes the disk's flush. For
// benchmarks that separate the disk from the rest of a write's cost.
func WithUnsafeNoFsync() Option {
	return func(c *config) {
		c.noFsync = true
		c.dedicated = true
	}
}

// WithQuotaBackendBytes sets the backend size at which etcd raises its
// NOSPACE alarm and refuses further writes (--quota-backend-bytes; etcd's
// default is 2 GiB). Zero keeps the default.
func WithQuotaBackendBytes(n int64) Option {
	return func(c *config) {
		c.quotaBackendBytes = n
		c.dedicated = true
	}
}

// WithBcryptCost sets the cost of the bcrypt hashes of user passwords
// (--bcrypt-cost; etcd's default is 10, the minimum 4). Tests that add
// users and authenticate often use the minimum: each hash and each login
// then takes well under a millisecond instead of many under the race
// detector. Zero keeps the default.
func WithBcryptCost(cost uint) Option {
	return func(c *config) {
		c.bcryptCost = cost
		c.dedicated = true
	}
}

// WithAdvertiseClientURLs makes the member advertise urls as its client
// URLs (--advertise-client-urls) instead of the URL it listens on, as a
// member behind a load balancer or a TLS-terminating proxy does: the
// member list then holds urls, while clients still reach the server on
// Endpoints. etcd checks that each is a URL, not that it leads anywhere.
func WithAdvertiseClientURLs(urls ...string) Option {
	return func(c *config) {
		c.advertiseClientURLs = urls
		c.dedicated = true
	}
}

// WithDedicated starts a server of the test's own even when ETCD_ENDPOINTS
// names an external cluster: for tests that stop the server, compact its
// history or otherwise must not touch a shared cluster.
func WithDedicated() Option {
	return func(c *config) { c.dedicated = true }
}
