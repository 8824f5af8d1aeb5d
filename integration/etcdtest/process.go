package etcdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processStartTimeout bounds how long an etcd process may take until its
// client port answers.
const processStartTimeout = 30 * time.Second

// StartProcess runs the etcd binary at binPath (see BuildEtcd) as a separate
// process: a single-member cluster on free loopback ports with its data in
// tb.TempDir(). It waits until the client port reports the server healthy.
// A cleanup registered on tb kills the process and waits for it. The
// process's log (errors only) is kept in the temporary directory and quoted
// when the process does not start.
//
// Unlike Start, the process keeps etcd's default fsync behaviour, so that
// benchmarks see a realistic server.
//
// Without an Option that needs a dedicated server, StartProcess returns the
// external cluster named by ETCD_ENDPOINTS if that is set (see External).
func StartProcess(tb testing.TB, binPath string, opts ...Option) *Server {
	tb.Helper()
	cfg := newConfig(opts)
	if s, ok := externalServer(cfg); ok {
		return s
	}
	s, err := startProcess(tb.TempDir(), binPath, cfg)
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

// StartProcessShared is StartProcess for a TestMain: the data lives in a new
// directory under os.TempDir(), and the returned stop function kills the
// process and removes that directory.
func StartProcessShared(binPath string, opts ...Option) (*Server, func(), error) {
	cfg := newConfig(opts)
	if s, ok := externalServer(cfg); ok {
		return s, func() {}, nil
	}
	return shared(cfg, func(dir string, cfg config) (*Server, error) {
		return startProcess(dir, binPath, cfg)
	})
}

func startProcess(dir, binPath string, cfg config) (*Server, error) {
	if err := checkAdvertised(cfg); err != nil {
		return nil, err
	}
	if _, err := os.Stat(binPath); err != nil {
		return nil, fmt.Errorf("etcdtest: etcd binary: %w", err)
	}
	tlsFiles, err := setupTLS(dir, cfg)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := startProcessOnce(dir, binPath, cfg, tlsFiles)
		if err == nil || !addrInUse(err) || attempt == maxAttempts {
			return s, err
		}
	}
}

// advertised is the value of --advertise-client-urls for a process
// listening on clientURL.
func advertised(clientURL string, cfg config) string {
	if len(cfg.advertiseClientURLs) > 0 {
		return strings.Join(cfg.advertiseClientURLs, ",")
	}
	return clientURL
}

// errPortTaken marks a process that could not bind its ports; startProcess
// retries it on other ports.
var errPortTaken = syscall.EADDRINUSE

func startProcessOnce(dir, binPath string, cfg config, tlsFiles *TLSFiles) (*Server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	clientURL := clientScheme(cfg) + "://" + loopback(ports[0])
	peerURL := "http://" + loopback(ports[1])
	dataDir := filepath.Join(dir, "data")
	if err := os.RemoveAll(dataDir); err != nil {
		return nil, fmt.Errorf("etcdtest: %w", err)
	}
	logPath := filepath.Join(dir, "etcd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("etcdtest: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor

	args := []string{
		"--name=" + memberName,
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + advertised(clientURL, cfg),
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=" + memberName + "=" + peerURL,
		"--initial-cluster-state=new",
		"--log-level=error",
		"--log-outputs=stderr",
	}
	if tlsFiles != nil {
		args = append(args, "--cert-file="+tlsFiles.CertFile, "--key-file="+tlsFiles.KeyFile)
		if cfg.clientCertAuth {
			args = append(args, "--client-cert-auth", "--trusted-ca-file="+tlsFiles.CAFile)
		}
	}
	if cfg.authToken != "" {
		args = append(args, "--auth-token="+cfg.authToken)
	}
	if cfg.authTokenTTL != 0 {
		args = append(args, "--auth-token-ttl="+strconv.FormatUint(uint64(cfg.authTokenTTL), 10))
	}
	if cfg.maxTxnOps != 0 {
		args = append(args, "--max-txn-ops="+strconv.FormatUint(uint64(cfg.maxTxnOps), 10))
	}
	if cfg.maxRequestByte != 0 {
		args = append(args, "--max-request-bytes="+strconv.FormatUint(uint64(cfg.maxRequestByte), 10))
	}
	if cfg.quotaBackendBytes != 0 {
		args = append(args, "--quota-backend-bytes="+strconv.FormatInt(cfg.quotaBackendBytes, 10))
	}
	if cfg.noFsync {
		args = append(args, "--unsafe-no-fsync")
	}
	if cfg.bcryptCost != 0 {
		args = append(args, "--bcrypt-cost="+strconv.FormatUint(uint64(cfg.bcryptCost), 10))
	}

	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("etcdtest: start %s: %w", binPath, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	if err := waitHealthy(clientURL, tlsFiles, exited); err != nil {
		kill()
		log := logTail(logPath)
		if bytes.Contains(log, []byte("address already in use")) {
			err = fmt.Errorf("%w: %w", err, errPortTaken)
		}
		if waitErr != nil {
			err = fmt.Errorf("%w (%v)", err, waitErr)
		}
		return nil, fmt.Errorf("etcdtest: etcd process on %s: %w; log:\n%s", clientURL, err, log)
	}

	s := &Server{
		TLS:       tlsFiles,
		endpoints: []string{loopback(ports[0])},
		clientURL: clientURL,
	}
	s.stop = func() error {
		kill()
		return nil
	}
	return s, nil
}

// waitHealthy polls the /health endpoint of the client port until it
// reports a healthy member (which needs an elected leader), the process
// exits, or processStartTimeout passes.
func waitHealthy(clientURL string, tlsFiles *TLSFiles, exited <-chan struct{}) error {
	tr := &http.Transport{DisableKeepAlives: true}
	if tlsFiles != nil {
		tr.TLSClientConfig = tlsFiles.ClientTLSConfig()
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Second}

	ctx, cancel := context.WithTimeout(context.Background(), processStartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := checkHealth(ctx, client, clientURL)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited while starting")
		case <-ctx.Done():
			return fmt.Errorf("not healthy after %v: %w", processStartTimeout, err)
		case <-tick.C:
		}
	}
}

func checkHealth(ctx context.Context, client *http.Client, clientURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientURL+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"health":"true"`)) {
		return fmt.Errorf("/health: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// logTail returns the last few KiB of the process log.
func logTail(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return []byte("(no log: " + err.Error() + ")")
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return b
}
