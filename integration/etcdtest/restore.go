package etcdtest

import (
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// StartRestored restores the snapshot file at path with etcd's own
// restore (go.etcd.io/etcd/etcdutl/v3/snapshot, which checks the
// snapshot's SHA-256) into a new data directory under tb.TempDir(), and
// starts an embedded single-member etcd on it, on free loopback ports. A
// cleanup stops it. It returns the restore's error (a bad checksum among
// them) instead of failing the test, so that a test may expect one.
func StartRestored(tb testing.TB, path string) (*Server, error) {
	tb.Helper()
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tb.TempDir(), "restored")
	clientURL := url.URL{Scheme: "http", Host: loopback(ports[0])}
	peerURL := url.URL{Scheme: "http", Host: loopback(ports[1])}
	err = snapshot.NewV3(zap.NewNop()).Restore(snapshot.RestoreConfig{
		SnapshotPath:        path,
		Name:                memberName,
		OutputDataDir:       dir,
		PeerURLs:            []string{peerURL.String()},
		InitialCluster:      memberName + "=" + peerURL.String(),
		InitialClusterToken: "etcdtest-restored",
	})
	if err != nil {
		return nil, fmt.Errorf("etcdtest: restore %s: %w", path, err)
	}
	ec := embed.NewConfig()
	ec.Name = memberName
	ec.Dir = dir
	ec.ListenClientUrls = []url.URL{clientURL}
	ec.AdvertiseClientUrls = []url.URL{clientURL}
	ec.ListenPeerUrls = []url.URL{peerURL}
	ec.AdvertisePeerUrls = []url.URL{peerURL}
	ec.InitialCluster = memberName + "=" + peerURL.String()
	ec.InitialClusterToken = "etcdtest-restored"
	ec.LogLevel = "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	ec.UnsafeNoFsync = true
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("etcdtest: start the restored etcd: %w", err)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcdtest: the restored etcd failed while starting: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("etcdtest: the restored etcd not ready after %v", startTimeout)
	}
	s := &Server{endpoints: []string{clientURL.Host}, clientURL: clientURL.String(), embedded: e}
	s.stop = func() error {
		e.Close()
		<-e.Server.StopNotify()
		return nil
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s, nil
}
