package watchtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/watch"
)

// TestAuth runs watches as a user allowed app/ only, on a server whose
// tokens lapse after a second without use. A watch outside app/ is
// refused; once the stream's token has lapsed, a new watch on the stream
// is refused with an invalid token, so the stream authenticates again and
// is opened anew, and the watch that was already there resumes without a
// gap.
func TestAuth(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithTokenTTL(1))
	ctx := testCtx(t)
	root := open(t, srv.Endpoints(), conn.Config{})
	for _, call := range []struct {
		method    string
		req, resp proto.Message
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
		if err := root.ClientConn().Invoke(ctx, "/etcdserverpb.Auth/"+call.method, call.req, call.resp); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
	}
	st := &streamStats{}
	cfg := st.config()
	cfg.Username, cfg.Password, cfg.DialTimeout = "alice", "alicepw", time.Minute // bcrypt is slow under -race
	c := open(t, srv.Endpoints(), cfg)
	writer := open(t, srv.Endpoints(), conn.Config{Username: "alice", Password: "alicepw", DialTimeout: time.Minute})

	a, err := watch.Open(ctx, c, watch.Prefix("app/"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := watch.Open(ctx, c, watch.Prefix("other/")); !errors.Is(err, conn.ErrPermissionDenied) {
		t.Fatalf("watch outside the granted range: %v, want conn.ErrPermissionDenied", err)
	}
	put := func(i int) int64 {
		r, err := writer.Put(ctx, kv.New().WithKey(fmt.Sprintf("app/%d", i)).WithValue("v"))
		if err != nil {
			t.Fatal(err)
		}
		return r.Header.Revision
	}
	first := put(1)

	time.Sleep(2500 * time.Millisecond) // the stream's token lapses
	second := put(2)                    // the writer's own connection authenticates again
	b, err := watch.Open(ctx, c, watch.Prefix("app/"))
	if err != nil {
		t.Fatalf("watch after the token lapsed: %v", err)
	}
	defer b.Close()
	third := put(3)
	var got []int64
	for ev, err := range a.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, ev.KV.ModRevision); len(got) == 3 {
			break
		}
	}
	if want := []int64{first, second, third}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first watch delivered revisions %v, want %v", got, want)
	}
	if r, err := b.Next(ctx); err != nil || len(r.Events) != 1 || r.Events[0].KV.ModRevision != third {
		t.Errorf("second watch: %+v, %v; want revision %d", r, err, third)
	}
	// One more stream after authenticating again, or more if the fresh
	// token lapsed too before the stream used it (a second is short on a
	// busy machine).
	if s := st.snapshot(); s.opened < 2 {
		t.Errorf("%d watch streams, want at least 2 (the first, then one after authenticating again)", s.opened)
	} else {
		t.Logf("%d watch streams", s.opened)
	}
}
