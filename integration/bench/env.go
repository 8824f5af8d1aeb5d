package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
)

// Env holds one connection per client kind, each created once and shared
// by every goroutine of every cell, and the key prefix of this run.
type Env struct {
	Getcd    *conn.Conn
	Official *clientv3.Client
	Raw      pb.KVClient

	// Prefix is unique to this run ("getcd-bench/<pid>-<nanos>/"), so
	// that runs against a shared cluster never see each other's keys.
	Prefix string

	// ServerVersion is the etcd version the server reports.
	ServerVersion string

	// Endpoints are the server's, for sections that open connections of
	// their own.
	Endpoints []string

	attempts *atomic.Int64 // see CountAttempts; shared with gen

	rawConn *grpc.ClientConn

	// gen is this Env with Getcd replaced by a connection that uses etcd's
	// generated messages (conn.Config.GeneratedMessages), for GetcdGen.
	gen *Env

	// co is this Env with Getcd replaced by a connection that coalesces
	// (conn.Config.Coalescing), for GetcdCoalesce.
	co *Env
}

// CountAttempts adds n tries to the cell being measured, for operations
// that retry (an STM transaction that took n attempts to commit); the
// report then gives attempts per operation.
func (e *Env) CountAttempts(n int) { e.attempts.Add(int64(n)) }

// Key returns the run's key for the given parts: Key("put", 3) is
// "<prefix>put/3".
func (e *Env) Key(parts ...any) string {
	k := e.Prefix
	for i, p := range parts {
		if i > 0 {
			k += "/"
		}
		k += fmt.Sprint(p)
	}
	return k
}

// Dial connects every client kind to endpoints (host:port). getcd gets
// getcdCfg with its Endpoints set to endpoints (the zero Config is getcd's
// defaults, as a user's conn.Config{Endpoints: eps}) and coalescing off;
// GetcdCoalesce gets the same with getcdCfg.Coalescing, Enabled set (the
// other fields zero are coalescing's defaults). Each connection is
// created under a pprof label client=<kind>, so that the goroutines gRPC
// starts for it carry the label in a CPU profile.
func Dial(ctx context.Context, endpoints []string, getcdCfg conn.Config) (*Env, error) {
	e := &Env{Prefix: "getcd-bench/" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/",
		Endpoints: endpoints, attempts: new(atomic.Int64)}
	getcdCfg.Endpoints = endpoints
	coCfg := getcdCfg
	coCfg.Coalescing.Enabled = true
	getcdCfg.Coalescing = conn.Coalescing{}
	var err error
	pprof.Do(ctx, pprof.Labels("client", Getcd.String()), func(ctx context.Context) {
		e.Getcd, err = conn.New(ctx, getcdCfg)
	})
	if err != nil {
		return nil, fmt.Errorf("bench: getcd: %w", err)
	}
	e.gen = &Env{Prefix: e.Prefix, Endpoints: endpoints, attempts: e.attempts}
	pprof.Do(ctx, pprof.Labels("client", GetcdGen.String()), func(ctx context.Context) {
		genCfg := getcdCfg
		genCfg.GeneratedMessages = true
		e.gen.Getcd, err = conn.New(ctx, genCfg)
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: getcd with generated messages: %w", err)
	}
	e.co = &Env{Prefix: e.Prefix, Endpoints: endpoints, attempts: e.attempts}
	pprof.Do(ctx, pprof.Labels("client", GetcdCoalesce.String()), func(ctx context.Context) {
		e.co.Getcd, err = conn.New(ctx, coCfg)
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: getcd with coalescing: %w", err)
	}
	if !e.co.Getcd.CoalesceStats().Enabled {
		e.Close()
		return nil, errors.New("bench: getcd with coalescing: the connection does not coalesce (GETCD_CODEC=generated?)")
	}
	pprof.Do(ctx, pprof.Labels("client", Official.String()), func(ctx context.Context) {
		// The official client's defaults, except that its logger is quiet
		// (it only logs on errors and retries, never on the hot path).
		e.Official, err = clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(), Context: ctx})
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: official client: %w", err)
	}
	pprof.Do(ctx, pprof.Labels("client", Raw.String()), func(ctx context.Context) {
		e.rawConn, err = grpc.NewClient("passthrough:///"+endpoints[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err == nil {
			e.rawConn.Connect()
		}
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: raw gRPC: %w", err)
	}
	e.Raw = pb.NewKVClient(e.rawConn)
	for _, o := range []*Env{e.gen, e.co} {
		o.Official, o.Raw, o.rawConn = e.Official, e.Raw, e.rawConn
	}

	// One call through each client, so that every connection is up before
	// the first cell; the status answer names the server's version.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := pb.NewMaintenanceClient(e.rawConn).Status(sctx, &pb.StatusRequest{}, grpc.WaitForReady(true))
	if err == nil {
		e.ServerVersion = st.Version
		_, err = e.Official.Get(sctx, e.Key("ping"))
	}
	if err == nil {
		_, err = e.Getcd.Get(sctx, kv.New().WithKey(e.Key("ping")))
	}
	if err == nil {
		_, err = e.gen.Getcd.Get(sctx, kv.New().WithKey(e.Key("ping")))
	}
	if err == nil {
		_, err = e.co.Getcd.Get(sctx, kv.New().WithKey(e.Key("ping")))
	}
	e.gen.ServerVersion, e.co.ServerVersion = e.ServerVersion, e.ServerVersion
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("bench: first call: %w", err)
	}
	return e, nil
}

// Close closes every connection. It removes nothing from the server; see
// Cleanup.
func (e *Env) Close() error {
	var errs []error
	if e.Getcd != nil {
		errs = append(errs, e.Getcd.Close())
	}
	if e.gen != nil && e.gen.Getcd != nil {
		errs = append(errs, e.gen.Getcd.Close())
	}
	if e.co != nil && e.co.Getcd != nil {
		errs = append(errs, e.co.Getcd.Close())
	}
	if e.Official != nil {
		errs = append(errs, e.Official.Close())
	}
	if e.rawConn != nil {
		errs = append(errs, e.rawConn.Close())
	}
	return errors.Join(errs...)
}

// Cleanup deletes every key of the run and compacts the history up to now,
// so that the next workload starts from a small store.
func (e *Env) Cleanup(ctx context.Context) error {
	resp, err := e.Raw.DeleteRange(ctx, &pb.DeleteRangeRequest{Key: []byte(e.Prefix), RangeEnd: []byte(prefixEnd(e.Prefix))})
	if err != nil {
		return fmt.Errorf("bench: cleanup: %w", err)
	}
	return e.compact(ctx, resp.Header.Revision)
}

func (e *Env) compact(ctx context.Context, rev int64) error {
	_, err := e.Raw.Compact(ctx, &pb.CompactionRequest{Revision: rev, Physical: true})
	if err != nil {
		// A compaction at or below the last one is harmless.
		if !strings.Contains(err.Error(), "required revision has been compacted") {
			return fmt.Errorf("bench: compact: %w", err)
		}
	}
	return nil
}

// prefixEnd is the range end that covers every key starting with p.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}
