package etcdtest

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/client/pkg/v3/types"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long a server may take to become ready. It is
// generous because the race detector and a busy 2-core machine slow etcd's
// start a lot.
const startTimeout = 60 * time.Second

// memberName is the name of the single member of every started cluster.
const memberName = "etcdtest"

// Start starts a single-member etcd embedded in the test process on free
// loopback ports, with its data in tb.TempDir(), and waits until it serves
// clients. A cleanup registered on tb stops it and waits until it has
// stopped. Start fails the test if the server does not start.
//
// Without an Option that needs a dedicated server, Start returns the external
// cluster named by ETCD_ENDPOINTS if that is set (see External).
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := newConfig(opts)
	if s, ok := externalServer(cfg); ok {
		return s
	}
	s, err := startEmbedded(tb.TempDir(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// StartShared is Start for a TestMain, which has no testing.TB: the data
// lives in a new directory under os.TempDir(), and the returned stop function
// stops the server and removes that directory. stop is safe to call more
// than once.
//
//	func TestMain(m *testing.M) {
//		srv, stop, err := etcdtest.StartShared()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		shared = srv
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
func StartShared(opts ...Option) (*Server, func(), error) {
	cfg := newConfig(opts)
	if s, ok := externalServer(cfg); ok {
		return s, func() {}, nil
	}
	return shared(cfg, startEmbedded)
}

// shared runs start in a new temporary directory that the returned stop
// function removes after stopping the server.
func shared(cfg config, start func(dir string, cfg config) (*Server, error)) (*Server, func(), error) {
	dir, err := os.MkdirTemp("", "etcdtest-")
	if err != nil {
		return nil, nil, fmt.Errorf("etcdtest: %w", err)
	}
	s, err := start(dir, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() {
		if err := s.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.RemoveAll(dir)
	}
	return s, stop, nil
}

// setupTLS generates the certificates asked for by cfg in dir/tls.
func setupTLS(dir string, cfg config) (*TLSFiles, error) {
	if !cfg.tls {
		return nil, nil
	}
	tlsDir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return nil, fmt.Errorf("etcdtest: %w", err)
	}
	return generateTLS(tlsDir, cfg.clientCertAuth)
}

func clientScheme(cfg config) string {
	if cfg.tls {
		return "https"
	}
	return "http"
}

// startEmbedded starts an embedded etcd with its data in dir/data.
func startEmbedded(dir string, cfg config) (*Server, error) {
	if err := checkAdvertised(cfg); err != nil {
		return nil, err
	}
	tlsFiles, err := setupTLS(dir, cfg)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := startEmbeddedOnce(dir, cfg, tlsFiles)
		if err == nil || !addrInUse(err) || attempt == maxAttempts {
			return s, err
		}
	}
}

func startEmbeddedOnce(dir string, cfg config, tlsFiles *TLSFiles) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	clientURL := url.URL{Scheme: clientScheme(cfg), Host: loopback(ports[0])}
	peerURL := url.URL{Scheme: "http", Host: loopback(ports[1])}
	dataDir := filepath.Join(dir, "data")
	// A failed attempt may have left a member directory for other URLs.
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, fmt.Errorf("etcdtest: %w", err)
	}
	ec := embedConfig(dataDir, cfg, tlsFiles, clientURL, peerURL)
	e, err := launchEmbedded(ec)
	if err != nil {
		return nil, err
	}
	s := &Server{
		TLS:       tlsFiles,
		endpoints: []string{clientURL.Host},
		clientURL: clientURL.String(),
		embedded:  e,
	}
	s.stop = func() error {
		// Close stops the gRPC and HTTP servers, the raft loop and all
		// child goroutines and waits for them.
		s.mu.Lock()
		defer s.mu.Unlock()
		s.embedded.Close()
		<-s.embedded.Server.StopNotify()
		return nil
	}
	s.restart = func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.embedded.Close()
		<-s.embedded.Server.StopNotify()
		e, err := launchEmbedded(embedConfig(dataDir, cfg, tlsFiles, clientURL, peerURL))
		if err != nil {
			return err
		}
		s.embedded = e
		return nil
	}
	return s, nil
}

// embedConfig is the configuration of the single member whose data lives in
// dataDir and which serves clients on clientURL.
func embedConfig(dataDir string, cfg config, tlsFiles *TLSFiles, clientURL, peerURL url.URL) *embed.Config {
	ec := embed.NewConfig()
	ec.Name = memberName
	ec.Dir = dataDir
	ec.ListenClientUrls = []url.URL{clientURL}
	ec.AdvertiseClientUrls = []url.URL{clientURL}
	if len(cfg.advertiseClientURLs) > 0 {
		ec.AdvertiseClientUrls, _ = types.NewURLs(cfg.advertiseClientURLs) // checked by checkAdvertised
	}
	ec.ListenPeerUrls = []url.URL{peerURL}
	ec.AdvertisePeerUrls = []url.URL{peerURL}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.LogLevel = "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// The data directory is thrown away after the test; fsync only slows
	// the tests down (a lot on shared CI disks) without protecting anything.
	ec.UnsafeNoFsync = true
	// No JSON gateway: no test uses it, and it is a gRPC client connection
	// the server opens to itself after it is ready, in the test process,
	// which a goroutine check could not tell from a test's own (see
	// Goroutines).
	ec.EnableGRPCGateway = false
	if tlsFiles != nil {
		ec.ClientTLSInfo = transport.TLSInfo{
			CertFile:       tlsFiles.CertFile,
			KeyFile:        tlsFiles.KeyFile,
			ClientCertAuth: cfg.clientCertAuth,
		}
		// etcd asks every client for a certificate once a trusted CA is set.
		if cfg.clientCertAuth {
			ec.ClientTLSInfo.TrustedCAFile = tlsFiles.CAFile
		}
	}
	if cfg.authToken != "" {
		ec.AuthToken = cfg.authToken
	}
	if cfg.authTokenTTL != 0 {
		ec.AuthTokenTTL = cfg.authTokenTTL
	}
	if cfg.maxTxnOps != 0 {
		ec.MaxTxnOps = cfg.maxTxnOps
	}
	if cfg.maxRequestByte != 0 {
		ec.MaxRequestBytes = cfg.maxRequestByte
	}
	if cfg.quotaBackendBytes != 0 {
		ec.QuotaBackendBytes = cfg.quotaBackendBytes
	}
	ec.UnsafeNoFsync = cfg.noFsync
	if cfg.bcryptCost != 0 {
		ec.BcryptCost = cfg.bcryptCost
	}
	return ec
}

// checkAdvertised refuses advertised client URLs that etcd would not take,
// before anything starts.
func checkAdvertised(cfg config) error {
	if len(cfg.advertiseClientURLs) == 0 {
		return nil
	}
	if _, err := types.NewURLs(cfg.advertiseClientURLs); err != nil {
		return fmt.Errorf("etcdtest: WithAdvertiseClientURLs: %w", err)
	}
	return nil
}

// launchEmbedded starts an embedded etcd and waits until it serves clients.
func launchEmbedded(ec *embed.Config) (*embed.Etcd, error) {
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("etcdtest: start embedded etcd: %w", err)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcdtest: embedded etcd failed while starting: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("etcdtest: embedded etcd not ready after %v", startTimeout)
	}
}
