package kvtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// failedPut is a put that returned an error.
type failedPut struct {
	key string
	err error
}

// describe counts the failed puts by error text, for failure messages.
func describe(failed []failedPut) map[string]int {
	out := map[string]int{}
	for _, f := range failed {
		out[f.err.Error()]++
	}
	return out
}

// checkNotApplied is the promise of conn's outcome table: a write whose
// error does not match ErrUnknownOutcome was not applied. It reads every
// failed key through c and reports each one that is in the store although
// its error said it was not applied.
func checkNotApplied(t *testing.T, c *conn.Conn, failed []failedPut) {
	t.Helper()
	for _, f := range failed {
		if errors.Is(f.err, conn.ErrUnknownOutcome) {
			continue
		}
		r, err := c.Get(testCtx(t), kv.New().WithKey(f.key).WithCountOnly())
		if err != nil {
			t.Fatalf("count %q: %v", f.key, err)
		}
		if r.Count != 0 {
			t.Errorf("put of %q failed with %v, an error saying it was not applied, but the key is in the store", f.key, f.err)
		}
	}
}

// writeUntilFailure runs writers goroutines that put fresh keys with value
// until each one's first error, at most limit puts each, and calls onPut after
// every successful put. It returns the failed puts.
func writeUntilFailure(t *testing.T, c *conn.Conn, p string, writers, limit int, value string, onPut func()) []failedPut {
	t.Helper()
	var (
		mu     sync.Mutex
		failed []failedPut
		wg     sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for i := range limit {
				key := p + strconv.Itoa(w) + "/" + strconv.Itoa(i)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				_, err := c.Put(ctx, kv.New().WithKey(key).WithValue(value))
				cancel()
				if err != nil {
					mu.Lock()
					failed = append(failed, failedPut{key, err})
					mu.Unlock()
					return
				}
				if onPut != nil {
					onPut()
				}
			}
			t.Errorf("writer %d: %d puts and no failure", w, limit)
		})
	}
	wg.Wait()
	return failed
}

// etcd's quota applier applies a put and then answers ErrNoSpace
// (server/etcdserver/apply/quota.go), so a put that fails with it may be in
// the store: its outcome is unknown.
func TestNoSpaceIsUnknownOutcome(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithQuotaBackendBytes(2<<20))
	c := open(t, s, conn.Config{})
	failed := writeUntilFailure(t, c, prefix(t), 16, 2000, strings.Repeat("x", 16<<10), nil)

	noSpace := 0
	for _, f := range failed {
		if !errors.Is(f.err, conn.ErrNoSpace) {
			continue
		}
		noSpace++
		if !errors.Is(f.err, conn.ErrUnknownOutcome) {
			t.Errorf("put of %q failed with ErrNoSpace without an unknown outcome: %v", f.key, f.err)
		}
	}
	if noSpace == 0 {
		t.Fatalf("no put failed with ErrNoSpace; failures: %v", describe(failed))
	}
	checkNotApplied(t, c, failed)
}

// A server stopped while puts are in flight answers ErrStopped after the
// proposal (server/etcdserver/v3_server.go, processInternalRaftRequestOnce),
// so the put may be in the log and applied after a restart.
//
// Puts caught earlier, in the proposal itself, fail with "raft: stopped"
// instead; a round may end with no put in the wait after its proposal, so
// the test runs rounds (stop, restart) until one put failed with ErrStopped.
//
// The connection keeps every endpoint in rotation (DisableRotation): a
// member taken out would be probed with Status, and etcd v3.7.3's embedded
// server panics on a Status call once its backend is hard-stopped while its
// gRPC listener is still up (maintenanceServer.Status reads the schema
// version through a nil bbolt transaction), which would end the whole test
// binary.
func TestStoppedIsUnknownOutcome(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, s, conn.Config{DisableRotation: true})
	stopped := 0
	var all []failedPut
	for round := 0; round < 10 && stopped == 0; round++ {
		var (
			puts atomic.Int64
			stop sync.Once
		)
		failed := writeUntilFailure(t, c, prefix(t)+strconv.Itoa(round)+"/", 64, 100000, "v", func() {
			if puts.Add(1) == 500 {
				// The gRPC listeners stay up; the etcd server behind
				// them stops while puts wait for their proposals.
				stop.Do(func() { go s.Embedded().Server.HardStop() })
			}
		})
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		for _, f := range failed {
			if !errors.Is(f.err, conn.ErrStopped) {
				continue
			}
			stopped++
			if !errors.Is(f.err, conn.ErrUnknownOutcome) {
				t.Errorf("put of %q failed with ErrStopped without an unknown outcome: %v", f.key, f.err)
			}
		}
		checkNotApplied(t, c, failed)
		all = append(all, failed...)
	}
	if stopped == 0 {
		t.Fatalf("no put failed with ErrStopped in 10 rounds; failures: %v", describe(all))
	}
}

// A response larger than MaxCallRecvMsgSize is refused by gRPC on the client,
// after the server applied the request.
func TestResponseTooLargeIsUnknownOutcome(t *testing.T) {
	c := open(t, nil, conn.Config{MaxCallRecvMsgSize: 1024})
	plain := open(t, nil, conn.Config{})
	ctx := testCtx(t)
	k := prefix(t) + "big"
	if _, err := c.Put(ctx, kv.New().WithKey(k).WithValue(strings.Repeat("v", 4<<10))); err != nil {
		t.Fatalf("put: %v", err)
	}
	_, err := c.Get(ctx, kv.New().WithKey(k))
	if !errors.Is(err, conn.ErrResponseTooLarge) || errors.Is(err, conn.ErrRequestTooLarge) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("get of a value above MaxCallRecvMsgSize = %v, want ErrResponseTooLarge with a known outcome (a read)", err)
	}
	_, err = c.Delete(ctx, kv.New().WithKey(k).WithPrevKV())
	if !errors.Is(err, conn.ErrResponseTooLarge) || !errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("delete whose answer exceeds MaxCallRecvMsgSize = %v, want ErrResponseTooLarge and ErrUnknownOutcome", err)
	}
	if r, err := plain.Get(ctx, kv.New().WithKey(k).WithCountOnly()); err != nil || r.Count != 0 {
		t.Errorf("after the delete: %v, count %v; the delete was applied and should have left no key", err, r)
	}
}
