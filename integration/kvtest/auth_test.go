package kvtest

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
)

// enableAuth creates root and alice (read-write on app/ only) and turns
// authentication on, through raw Auth RPCs on a connection without a user.
// Servers it is used on hash at bcrypt's minimum cost
// (etcdtest.WithBcryptCost(4)): each hash at etcd's default costs seconds
// under the race detector, and kvtest runs twice in make test.
func enableAuth(t *testing.T, s *etcdtest.Server) {
	t.Helper()
	c := open(t, s, conn.Config{})
	ctx := testCtx(t)
	for _, call := range []struct {
		method string
		req    proto.Message
		resp   proto.Message
	}{
		{"UserAdd", &pb.AuthUserAddRequest{Name: "root", Password: "rootpw"}, &pb.AuthUserAddResponse{}},
		{"UserGrantRole", &pb.AuthUserGrantRoleRequest{User: "root", Role: "root"}, &pb.AuthUserGrantRoleResponse{}},
		{"UserAdd", &pb.AuthUserAddRequest{Name: "alice", Password: "alicepw"}, &pb.AuthUserAddResponse{}},
		{"RoleAdd", &pb.AuthRoleAddRequest{Name: "app"}, &pb.AuthRoleAddResponse{}},
		{"RoleGrantPermission", &pb.AuthRoleGrantPermissionRequest{Name: "app", Perm: &authpb.Permission{
			PermType: authpb.Permission_READWRITE, Key: []byte("app/"), RangeEnd: []byte("app0")}}, &pb.AuthRoleGrantPermissionResponse{}},
		{"UserGrantRole", &pb.AuthUserGrantRoleRequest{User: "alice", Role: "app"}, &pb.AuthUserGrantRoleResponse{}},
		{"AuthEnable", &pb.AuthEnableRequest{}, &pb.AuthEnableResponse{}},
	} {
		if err := c.ClientConn().Invoke(ctx, "/etcdserverpb.Auth/"+call.method, call.req, call.resp); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
	}
}

// countingHandler counts log records with a given message.
type countingHandler struct {
	msg string
	n   *atomic.Int32
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

func TestAuth(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithTokenTTL(1), etcdtest.WithBcryptCost(4))
	enableAuth(t, s)

	// Authenticating checks a bcrypt hash, which the race detector and a
	// busy machine slow a lot: a minute, not the default 5s.
	_, err := conn.New(testCtx(t), conn.Config{Endpoints: s.Endpoints(), Username: "alice", Password: "wrong", DialTimeout: time.Minute})
	if !errors.Is(err, conn.ErrAuthFailed) {
		t.Fatalf("wrong password = %v, want ErrAuthFailed", err)
	}

	var auths atomic.Int32
	logger := slog.New(countingHandler{msg: "getcd: authenticated", n: &auths})
	c := open(t, s, conn.Config{Username: "alice", Password: "alicepw", Logger: logger, DialTimeout: time.Minute})
	ctx := testCtx(t)
	if _, err := c.Put(ctx, kv.New().WithKey("app/x").WithValue("1")); err != nil {
		t.Fatalf("put in the granted range: %v", err)
	}
	_, err = c.Put(ctx, kv.New().WithKey("other/x").WithValue("1"))
	if !errors.Is(err, conn.ErrPermissionDenied) || errors.Is(err, conn.ErrUnknownOutcome) {
		t.Errorf("put outside the granted range = %v, want ErrPermissionDenied", err)
	}
	_, err = c.Get(ctx, kv.New().WithKey("other/x"))
	if !errors.Is(err, conn.ErrPermissionDenied) {
		t.Errorf("get outside the granted range = %v, want ErrPermissionDenied", err)
	}
	if got := auths.Load(); got != 1 {
		t.Fatalf("authenticated %d times before the token expired, want 1", got)
	}

	// The simple token lives 1s without use (etcd's keeper drops lapsed
	// tokens on a 1s tick); after it lapses the next call is refused with
	// an invalid-token error, and the connection authenticates again and
	// resends it. A loaded machine can run the keeper late, and a put that
	// still finds the token valid extends it: wait again then, a bounded
	// number of times.
	puts := 0
	for auths.Load() == 1 && puts < 8 {
		time.Sleep(2500 * time.Millisecond)
		puts++
		if _, err := c.Put(ctx, kv.New().WithKey("app/x").WithValue(strconv.Itoa(puts+1))); err != nil {
			t.Fatalf("put after the token expired: %v", err)
		}
	}
	if got := auths.Load(); got != 2 {
		t.Errorf("authenticated %d times after %d waits for the token to expire, want 2", got, puts)
	}
	r, err := c.Get(ctx, kv.New().WithKey("app/x"))
	if err != nil || string(r.KVs[0].Value) != strconv.Itoa(puts+1) || r.KVs[0].Version != int64(puts+1) {
		t.Errorf("the puts (the last one refreshed) were not each applied exactly once: %v %+v", err, r)
	}

	// Without a user, a server with auth on refuses the call.
	anon := open(t, s, conn.Config{})
	_, err = anon.Get(ctx, kv.New().WithKey("app/x"))
	if err == nil {
		t.Errorf("anonymous get on an auth-enabled server succeeded")
	}
}
