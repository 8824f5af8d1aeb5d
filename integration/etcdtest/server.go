package etcdtest

import (
	"errors"
	"slices"
	"sync"

	"go.etcd.io/etcd/server/v3/embed"
)

// Server is a running etcd cluster that tests can connect to: an embedded
// server, a separate process, or an external cluster (ETCD_ENDPOINTS).
type Server struct {
	// TLS lists the certificate files the client port is served with; it
	// is nil unless WithTLS or WithClientCertAuth was given.
	TLS *TLSFiles

	endpoints []string // host:port, no scheme
	clientURL string   // scheme://host:port of the first endpoint
	external  bool

	mu       sync.Mutex  // guards embedded across Restart
	embedded *embed.Etcd // set for Start and StartShared
	stop     func() error
	restart  func() error // nil unless embedded

	closeOnce sync.Once
	closeErr  error
}

// Endpoints returns the client endpoints as "host:port", without a scheme,
// for example ["127.0.0.1:41235"]. The caller may modify the slice.
func (s *Server) Endpoints() []string {
	return slices.Clone(s.endpoints)
}

// ClientURL returns the URL of the first client endpoint with its scheme,
// "http://127.0.0.1:PORT" or, with WithTLS, "https://127.0.0.1:PORT".
func (s *Server) ClientURL() string {
	return s.clientURL
}

// IsExternal reports whether s is the external cluster named by
// ETCD_ENDPOINTS rather than a server started by this package.
func (s *Server) IsExternal() bool {
	return s.external
}

// Embedded returns the embedded etcd of a server started by Start or
// StartShared, and nil for a process or an external cluster.
func (s *Server) Embedded() *embed.Etcd {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.embedded
}

// Restart stops an embedded server (whatever state it is in, for example
// after its etcd server was stopped with HardStop) and starts it again on the
// same data directory and the same client and peer URLs, so that clients
// reconnect to the same endpoint and find what was committed. It fails for a
// process or an external cluster.
func (s *Server) Restart() error {
	if s.restart == nil {
		return errors.New("etcdtest: Restart works on embedded servers only")
	}
	return s.restart()
}

// Close stops the server and waits until it has stopped and its data
// directory is removed. It does nothing for an external cluster. Close may
// be called more than once and from tests that want to stop a server early;
// the cleanup registered by Start or StartProcess calls it too.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.closeErr = s.stop()
		}
	})
	return s.closeErr
}
