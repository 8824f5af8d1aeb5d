package etcdtest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/getcd/getcd/integration/etcdtest"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// server and client a test starts must be fully stopped by its cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newClient connects a clientv3 client (the comparison oracle) to s and
// closes it when the test ends.
func newClient(t *testing.T, s *etcdtest.Server, tlsCfg *tls.Config) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   s.Endpoints(),
		DialTimeout: 10 * time.Second,
		TLS:         tlsCfg,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("clientv3.New(%v): %v", s.Endpoints(), err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("close client: %v", err)
		}
	})
	return c
}

func opCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// key returns a key unique to the test and to this run, so that the tests
// can also run against an external cluster (ETCD_ENDPOINTS) that is not
// empty.
func key(t *testing.T, name string) string {
	return "/etcdtest/" + etcdtest.KeyPrefix(t) + name
}

func TestKeyPrefix(t *testing.T) {
	a := etcdtest.KeyPrefix(t)
	if !strings.HasPrefix(a, "TestKeyPrefix/") || !strings.HasSuffix(a, "/") || strings.Count(a, "/") != 2 {
		t.Errorf("KeyPrefix = %q, want TestKeyPrefix/<run>/", a)
	}
	if b := etcdtest.KeyPrefix(t); b != a {
		t.Errorf("second call in one test = %q, want %q again", b, a)
	}
	var subs []string
	for _, name := range []string{"sub", "sub/deeper"} {
		t.Run(name, func(t *testing.T) {
			s := etcdtest.KeyPrefix(t)
			want := "TestKeyPrefix_" + strings.ReplaceAll(t.Name()[len("TestKeyPrefix/"):], "/", "_") + "/"
			if !strings.HasPrefix(s, want) || strings.Count(s, "/") != 2 {
				t.Errorf("KeyPrefix in subtest %s = %q, want %s<run>/", t.Name(), s, want)
			}
			subs = append(subs, s)
		})
	}
	all := append([]string{a}, subs...)
	for i, p := range all {
		for j, q := range all {
			if i != j && strings.HasPrefix(q, p) {
				t.Errorf("prefix %q lies under %q", q, p)
			}
		}
	}
}

// putGet writes a key through c and reads it back.
func putGet(t *testing.T, c *clientv3.Client) {
	t.Helper()
	ctx := opCtx(t)
	k := key(t, "k")
	if _, err := c.Put(ctx, k, "v1"); err != nil {
		t.Fatalf("Put(%q): %v", k, err)
	}
	resp, err := c.Get(ctx, k)
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v1" {
		t.Fatalf("Get(%q) = %v, want one kv with value v1", k, resp.Kvs)
	}
	if _, err := c.Delete(ctx, k); err != nil {
		t.Fatalf("Delete(%q): %v", k, err)
	}
}

// assertStopped checks that nothing listens on the server's endpoints.
func assertStopped(t *testing.T, s *etcdtest.Server) {
	t.Helper()
	for _, ep := range s.Endpoints() {
		if conn, err := net.DialTimeout("tcp", ep, 2*time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Close", ep)
		}
	}
}

func TestStartPutGet(t *testing.T) {
	s := etcdtest.Start(t)
	eps := s.Endpoints()
	if len(eps) == 0 {
		t.Fatal("no endpoints")
	}
	for _, ep := range eps {
		if strings.Contains(ep, "://") {
			t.Errorf("endpoint %q has a scheme", ep)
		}
	}
	if !strings.HasPrefix(s.ClientURL(), "http://") && !s.IsExternal() {
		t.Errorf("ClientURL() = %q, want http://...", s.ClientURL())
	}
	putGet(t, newClient(t, s, nil))
}

func TestCloseStopsServer(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithMaxTxnOps(64)) // dedicated even with ETCD_ENDPOINTS
	putGet(t, newClient(t, s, nil))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	assertStopped(t, s)
}

func TestTLS(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithTLS())
	if s.TLS == nil || s.TLS.ClientCertAuth {
		t.Fatalf("TLS = %+v, want files without client cert auth", s.TLS)
	}
	if !strings.HasPrefix(s.ClientURL(), "https://") {
		t.Errorf("ClientURL() = %q, want https://...", s.ClientURL())
	}
	for _, f := range []string{s.TLS.CAFile, s.TLS.CertFile, s.TLS.KeyFile, s.TLS.ClientCertFile, s.TLS.ClientKeyFile} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("TLS file: %v", err)
		}
	}

	t.Run("tls client", func(t *testing.T) {
		putGet(t, newClient(t, s, s.TLS.ClientTLSConfig()))
	})
	t.Run("tls client without certificate", func(t *testing.T) {
		cfg := s.TLS.ClientTLSConfig()
		cfg.Certificates = nil
		putGet(t, newClient(t, s, cfg))
	})
	t.Run("plain-text client refused", func(t *testing.T) {
		assertRefused(t, newClient(t, s, nil))
	})
}

func TestClientCertAuth(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithClientCertAuth())
	if s.TLS == nil || !s.TLS.ClientCertAuth {
		t.Fatalf("TLS = %+v, want client cert auth", s.TLS)
	}
	t.Run("client with certificate", func(t *testing.T) {
		putGet(t, newClient(t, s, s.TLS.ClientTLSConfig()))
	})
	t.Run("client without certificate refused", func(t *testing.T) {
		cfg := s.TLS.ClientTLSConfig()
		cfg.Certificates = nil
		assertRefused(t, newClient(t, s, cfg))
	})
	t.Run("plain-text client refused", func(t *testing.T) {
		assertRefused(t, newClient(t, s, nil))
	})
}

// assertRefused checks that a request through c fails. The deadline only
// bounds how long the client keeps retrying the connection.
func assertRefused(t *testing.T, c *clientv3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := c.Get(ctx, key(t, "refused")); err == nil {
		t.Fatal("Get succeeded, want the connection refused")
	}
}

func TestLimits(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithMaxTxnOps(2), etcdtest.WithMaxRequestBytes(4096))
	c := newClient(t, s, nil)
	ctx := opCtx(t)

	ops := []clientv3.Op{
		clientv3.OpPut(key(t, "a"), "1"),
		clientv3.OpPut(key(t, "b"), "2"),
		clientv3.OpPut(key(t, "c"), "3"),
	}
	if _, err := c.Txn(ctx).Then(ops[:2]...).Commit(); err != nil {
		t.Fatalf("txn with 2 ops: %v", err)
	}
	if _, err := c.Txn(ctx).Then(ops...).Commit(); !errors.Is(err, rpctypes.ErrTooManyOps) {
		t.Fatalf("txn with 3 ops: err = %v, want %v", err, rpctypes.ErrTooManyOps)
	}
	if _, err := c.Put(ctx, key(t, "big"), strings.Repeat("x", 8192)); !errors.Is(err, rpctypes.ErrRequestTooLarge) {
		t.Fatalf("8 KiB put: err = %v, want %v", err, rpctypes.ErrRequestTooLarge)
	}
}

func TestAuthTokenOptions(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithAuthToken("simple"), etcdtest.WithTokenTTL(2))
	cfg := s.Embedded().Config()
	if cfg.AuthToken != "simple" || cfg.AuthTokenTTL != 2 {
		t.Fatalf("AuthToken, AuthTokenTTL = %q, %d, want simple, 2", cfg.AuthToken, cfg.AuthTokenTTL)
	}

	// Enable auth and log in, to show the options leave auth working.
	c := newClient(t, s, nil)
	ctx := opCtx(t)
	if _, err := c.UserAdd(ctx, "root", "secret"); err != nil {
		t.Fatalf("UserAdd: %v", err)
	}
	if _, err := c.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatalf("UserGrantRole: %v", err)
	}
	if _, err := c.AuthEnable(ctx); err != nil {
		t.Fatalf("AuthEnable: %v", err)
	}
	if _, err := c.Get(ctx, key(t, "anonymous")); !errors.Is(err, rpctypes.ErrUserEmpty) {
		t.Fatalf("anonymous Get with auth enabled: err = %v, want %v", err, rpctypes.ErrUserEmpty)
	}
	root, err := clientv3.New(clientv3.Config{
		Endpoints:   s.Endpoints(),
		DialTimeout: 10 * time.Second,
		Username:    "root",
		Password:    "secret",
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("clientv3.New as root: %v", err)
	}
	defer root.Close()
	putGet(t, root)
}

func TestStartShared(t *testing.T) {
	s, stop, err := etcdtest.StartShared(etcdtest.WithMaxRequestBytes(1 << 20))
	if err != nil {
		t.Fatalf("StartShared: %v", err)
	}
	defer stop()
	if s.IsExternal() {
		t.Fatal("a server with options must not be external")
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: s.Endpoints(), DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("clientv3.New: %v", err)
	}
	putGet(t, c)
	c.Close()
	stop()
	stop() // idempotent
	assertStopped(t, s)
}

func TestExternal(t *testing.T) {
	t.Setenv(etcdtest.EnvEndpoints, " http://127.0.0.1:1, 127.0.0.2:2 ,,")
	eps, ok := etcdtest.External()
	if want := []string{"http://127.0.0.1:1", "127.0.0.2:2"}; !ok || !slices.Equal(eps, want) {
		t.Fatalf("External() = %q, %v, want %q, true", eps, ok, want)
	}

	s := etcdtest.Start(t)
	if !s.IsExternal() {
		t.Fatal("Start without options did not use ETCD_ENDPOINTS")
	}
	if want := []string{"127.0.0.1:1", "127.0.0.2:2"}; !slices.Equal(s.Endpoints(), want) {
		t.Errorf("Endpoints() = %q, want %q", s.Endpoints(), want)
	}
	if got, want := s.ClientURL(), "http://127.0.0.1:1"; got != want {
		t.Errorf("ClientURL() = %q, want %q", got, want)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close of an external server: %v", err)
	}

	shared, stop, err := etcdtest.StartShared()
	if err != nil || !shared.IsExternal() {
		t.Fatalf("StartShared() = %v, %v, want the external cluster", shared, err)
	}
	stop()

	// An option that an external cluster cannot honour starts a real server.
	d := etcdtest.Start(t, etcdtest.WithMaxTxnOps(16))
	if d.IsExternal() {
		t.Fatal("Start(WithMaxTxnOps) used ETCD_ENDPOINTS")
	}
	putGet(t, newClient(t, d, nil))

	t.Setenv(etcdtest.EnvEndpoints, " , ")
	if eps, ok := etcdtest.External(); ok {
		t.Errorf("External() with only separators = %q, true", eps)
	}
}

func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the etcd binary; skipped in -short mode")
	}
	bin, err := etcdtest.BuildEtcd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("plain", func(t *testing.T) {
		s := etcdtest.StartProcess(t, bin)
		putGet(t, newClient(t, s, nil))
		if s.IsExternal() {
			return
		}
		if s.Embedded() != nil {
			t.Error("Embedded() of a process server is not nil")
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		assertStopped(t, s)
	})
	t.Run("client cert auth", func(t *testing.T) {
		s := etcdtest.StartProcess(t, bin, etcdtest.WithClientCertAuth(), etcdtest.WithMaxTxnOps(4))
		putGet(t, newClient(t, s, s.TLS.ClientTLSConfig()))
		assertRefused(t, newClient(t, s, nil))
	})
	t.Run("shared", func(t *testing.T) {
		s, stop, err := etcdtest.StartProcessShared(bin, etcdtest.WithTLS())
		if err != nil {
			t.Fatalf("StartProcessShared: %v", err)
		}
		defer stop()
		putGet(t, newClient(t, s, s.TLS.ClientTLSConfig()))
	})
	t.Run("advertised client URLs", func(t *testing.T) {
		const u = "https://lb.example:2379"
		s := etcdtest.StartProcess(t, bin, etcdtest.WithAdvertiseClientURLs(u))
		cli := newClient(t, s, nil)
		putGet(t, cli)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if l, err := cli.MemberList(ctx); err != nil || len(l.Members) != 1 || !slices.Equal(l.Members[0].ClientURLs, []string{u}) {
			t.Errorf("member list %+v, %v; want one member advertising %s", l, err, u)
		}
	})
	t.Run("missing binary", func(t *testing.T) {
		if _, _, err := etcdtest.StartProcessShared(bin+".missing", etcdtest.WithTLS()); err == nil {
			t.Fatal("StartProcessShared with a missing binary succeeded")
		}
	})
}

// TestAdvertiseClientURLs: the member lists the advertised client URLs
// (sorted, as etcd keeps them) and still serves on its own endpoint; a URL
// etcd would refuse fails the start before anything runs.
func TestAdvertiseClientURLs(t *testing.T) {
	urls := []string{"https://lb.example:2379", "http://10.0.0.1:2379"}
	s := etcdtest.Start(t, etcdtest.WithAdvertiseClientURLs(urls...))
	cli := newClient(t, s, nil)
	putGet(t, cli)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := cli.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(urls))
	if len(l.Members) != 1 || !slices.Equal(l.Members[0].ClientURLs, want) {
		t.Errorf("members %+v, want one advertising %v", l.Members, want)
	}
	if _, stop, err := etcdtest.StartShared(etcdtest.WithAdvertiseClientURLs("lb.example:2379")); err == nil {
		stop()
		t.Errorf("a client URL without a scheme was taken")
	}
}
