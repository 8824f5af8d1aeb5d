package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// TestFollowerKill kills a follower under load and brings it back. Reads
// caught on it are retried on the other members, so none fails.
func TestFollowerKill(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	_, followers := roles(t, cl)
	victim := cl.Members[followers[0]]
	eps := cl.Endpoints()
	c, err := conn.New(context.Background(), conn.Config{Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	l := startLoad(c, "fault/follower/", 4, 4)
	time.Sleep(500 * time.Millisecond)
	l.down.Store(1)
	victim.Kill()
	time.Sleep(1500 * time.Millisecond)
	l.down.Store(0)
	if err := victim.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	l.finish()

	if n := l.readErrs.Load(); n != 0 {
		t.Errorf("%d reads failed while a follower was down", n)
	}
	if l.readsWhileDown.Load() == 0 || l.writes.Load() == 0 {
		t.Errorf("no load while the follower was down")
	}
	l.check(t)
}

// TestLeaderKill kills the leader under load. Calls may fail while a new
// leader is elected, but each failure is typed, no acknowledged write is
// lost or doubled, and once a leader is back writes succeed again.
func TestLeaderKill(t *testing.T) {
	cl := etcdtest.StartCluster(t, etcdBin, 3)
	leader, _ := roles(t, cl)
	c, err := conn.New(context.Background(), conn.Config{Endpoints: cl.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	l := startLoad(c, "fault/leader/", 4, 4)
	time.Sleep(500 * time.Millisecond)
	l.down.Store(1)
	cl.Members[leader].Kill()
	time.Sleep(2 * time.Second)
	l.down.Store(0)
	if err := cl.Members[leader].Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	l.finish()

	// As in etcd's own robustness tests, the last write must succeed.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, kv.New().WithKey("fault/leader/tombstone").WithValue("end")); err != nil {
		t.Fatalf("write after the leader came back: %v", err)
	}
	if l.writes.Load() == 0 {
		t.Errorf("no write succeeded")
	}
	l.check(t)
}
