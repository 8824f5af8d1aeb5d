// Package devetcd gives the examples an etcd to talk to: the cluster named
// by ETCD_ENDPOINTS, or else an embedded single-member etcd on free loopback
// ports with its data in a temporary directory.
package devetcd

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is where the examples connect.
type Cluster struct {
	Endpoints []string
	Embedded  bool
	stop      func()
}

// Close stops the embedded server and removes its data; it does nothing for
// an external cluster.
func (c *Cluster) Close() {
	if c.stop != nil {
		c.stop()
	}
}

// Start returns the ETCD_ENDPOINTS cluster if the variable is set, or starts
// an embedded etcd.
func Start() (*Cluster, error) {
	if env := strings.TrimSpace(os.Getenv("ETCD_ENDPOINTS")); env != "" {
		var eps []string
		for _, e := range strings.Split(env, ",") {
			if e = strings.TrimSpace(e); e != "" {
				eps = append(eps, e)
			}
		}
		return &Cluster{Endpoints: eps}, nil
	}
	dir, err := os.MkdirTemp("", "getcd-example-*")
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop()) // the tour prints its own story
	client, peer, err := freeURLs()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("devetcd: start embedded etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		os.RemoveAll(dir)
		return nil, errors.New("devetcd: embedded etcd not ready after 30s")
	}
	return &Cluster{
		Endpoints: []string{client.Host},
		Embedded:  true,
		stop: func() {
			e.Close()
			os.RemoveAll(dir)
		},
	}, nil
}

// freeURLs picks two free loopback ports. Another process may take a port
// between this check and etcd's listen; the example then fails to start and
// can simply be run again.
func freeURLs() (client, peer url.URL, err error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return client, peer, err
		}
		ls = append(ls, l)
	}
	return url.URL{Scheme: "http", Host: ls[0].Addr().String()}, url.URL{Scheme: "http", Host: ls[1].Addr().String()}, nil
}
