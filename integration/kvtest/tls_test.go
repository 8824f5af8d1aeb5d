package kvtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestTLS(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithTLS(), etcdtest.WithClientCertAuth())
	c := open(t, s, conn.Config{TLS: s.TLS.ClientTLSConfig()})
	ctx := testCtx(t)
	if _, err := c.Put(ctx, kv.New().WithKey("tls/k").WithValue("v")); err != nil {
		t.Fatalf("put over TLS: %v", err)
	}
	r, err := c.Get(ctx, kv.New().WithKey("tls/k"))
	if err != nil || string(r.KVs[0].Value) != "v" {
		t.Fatalf("get over TLS: %v %+v", err, r)
	}

	// https:// endpoints with the CA but no client certificate: the server
	// demands one, so no endpoint becomes ready.
	noCert := s.TLS.ClientTLSConfig()
	noCert.Certificates = nil
	_, err = conn.New(context.Background(), conn.Config{Endpoints: []string{s.ClientURL()}, TLS: noCert, DialTimeout: time.Second})
	if !errors.Is(err, conn.ErrUnavailable) {
		t.Errorf("TLS without a client certificate = %v, want ErrUnavailable", err)
	}
	// Plain text against a TLS port fails the same way.
	_, err = conn.New(context.Background(), conn.Config{Endpoints: s.Endpoints(), DialTimeout: time.Second})
	if !errors.Is(err, conn.ErrUnavailable) {
		t.Errorf("plain text against TLS = %v, want ErrUnavailable", err)
	}
}
