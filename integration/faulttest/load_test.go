package faulttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
)

// load runs readers and writers on c until stop is closed. Each write puts
// a key of its own, so a write applied twice shows as version 2.
type load struct {
	c    *conn.Conn
	pfx  string
	stop chan struct{}
	wg   sync.WaitGroup

	reads, readErrs      atomic.Int64
	writes, unknown      atomic.Int64
	knownFailed, seq     atomic.Int64
	mu                   sync.Mutex
	acked                []string
	readErrSample        []error
	untypedErrs          []error
	writeErrSample       []error
	readsWhileDown, down atomic.Int64
}

func startLoad(c *conn.Conn, pfx string, readers, writers int) *load {
	l := &load{c: c, pfx: pfx, stop: make(chan struct{})}
	for range readers {
		l.wg.Add(1)
		go l.read()
	}
	for range writers {
		l.wg.Add(1)
		go l.write()
	}
	return l
}

func (l *load) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

func (l *load) read() {
	defer l.wg.Done()
	for !l.stopped() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := l.c.Get(ctx, kv.New().WithKey(l.pfx+"probe"))
		cancel()
		l.reads.Add(1)
		if l.down.Load() == 1 {
			l.readsWhileDown.Add(1)
		}
		if err != nil {
			l.readErrs.Add(1)
			l.record(&l.readErrSample, err)
		}
	}
}

func (l *load) write() {
	defer l.wg.Done()
	for !l.stopped() {
		k := fmt.Sprintf("%sw%06d", l.pfx, l.seq.Add(1))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := l.c.Put(ctx, kv.New().WithKey(k).WithValue("v"))
		cancel()
		switch {
		case err == nil:
			l.writes.Add(1)
			l.mu.Lock()
			l.acked = append(l.acked, k)
			l.mu.Unlock()
		case errors.Is(err, conn.ErrUnknownOutcome):
			l.unknown.Add(1)
			l.record(&l.writeErrSample, err)
		default:
			l.knownFailed.Add(1)
			l.record(&l.writeErrSample, err)
		}
	}
}

// record keeps a few errors for the log, and every error that matches no
// sentinel: all of getcd's errors must be typed.
func (l *load) record(sample *[]error, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(*sample) < 5 {
		*sample = append(*sample, err)
	}
	if errors.Is(err, conn.ErrUnknown) {
		l.untypedErrs = append(l.untypedErrs, err)
	}
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// check verifies that every acknowledged write is stored, exactly once.
func (l *load) check(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := l.c.Get(ctx, kv.New().WithKey(l.pfx+"w").WithPrefix())
	if err != nil {
		t.Fatalf("final read: %v", err)
	}
	stored := make(map[string]int64, len(r.KVs))
	for _, k := range r.KVs {
		stored[string(k.Key)] = k.Version
		if k.Version != 1 {
			t.Errorf("%s applied %d times", k.Key, k.Version)
		}
	}
	for _, k := range l.acked {
		if _, ok := stored[k]; !ok {
			t.Errorf("acknowledged write %s lost", k)
		}
	}
	for _, err := range l.untypedErrs {
		t.Errorf("untyped error: %v", err)
	}
	t.Logf("reads %d (%d failed, %d while the member was down); writes %d acknowledged, %d unknown outcome (%d of all stored were unacknowledged), %d known failures",
		l.reads.Load(), l.readErrs.Load(), l.readsWhileDown.Load(), l.writes.Load(), l.unknown.Load(), int64(len(stored))-l.writes.Load(), l.knownFailed.Load())
	for _, e := range l.readErrSample {
		t.Logf("read error: %v", e)
	}
	for _, e := range l.writeErrSample {
		t.Logf("write error: %v", e)
	}
}
