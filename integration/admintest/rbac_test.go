package admintest

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/rbac"
)

// fatalIf returns a function that fails the test when a call's error is
// not nil: fatal(rbac.AddRole(ctx, c, r)).
func fatalIf(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuth sets up users and roles through getcd, turns authentication on,
// checks what each user may do, reads everything back, and takes it apart.
func TestAuth(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithBcryptCost(4))
	eps := s.Endpoints()
	admin := open(t, conn.Config{Endpoints: eps})
	ctx := testCtx(t)
	r := rbac.New()
	fatal := fatalIf(t)

	// Enabling without root is refused.
	if _, err := rbac.Enable(ctx, admin, r); !errors.Is(err, conn.ErrRootUserNotExist) {
		t.Errorf("enable without root: %v, want conn.ErrRootUserNotExist", err)
	}
	fatal(rbac.AddUser(ctx, admin, r.WithUser("root").WithPassword("rootpw")))
	fatal(rbac.GrantRole(ctx, admin, r.WithUser("root").WithRole("root")))
	fatal(rbac.AddRole(ctx, admin, r.WithRole("reader")))
	readApp := rbac.Read.WithKey("app/").WithPrefix()
	fatal(rbac.GrantPermission(ctx, admin, r.WithRole("reader").WithPermission(readApp)))
	fatal(rbac.AddUser(ctx, admin, r.WithUser("alice").WithPassword("alicepw")))
	fatal(rbac.GrantRole(ctx, admin, r.WithUser("alice").WithRole("reader")))
	fatal(rbac.AddUser(ctx, admin, r.WithUser("bob").WithNoPassword()))
	if _, err := rbac.AddUser(ctx, admin, r.WithUser("alice").WithPassword("x")); !errors.Is(err, conn.ErrUserAlreadyExist) {
		t.Errorf("add alice twice: %v, want conn.ErrUserAlreadyExist", err)
	}
	if _, err := rbac.AddRole(ctx, admin, r.WithRole("reader")); !errors.Is(err, conn.ErrRoleAlreadyExist) {
		t.Errorf("add reader twice: %v, want conn.ErrRoleAlreadyExist", err)
	}
	before, err := rbac.Status(ctx, admin, r)
	fatal(before, err)
	if before.Enabled {
		t.Fatalf("auth already on: %+v", before)
	}
	fatal(rbac.Enable(ctx, admin, r))

	root := open(t, conn.Config{Endpoints: eps, Username: "root", Password: "rootpw"})
	st, err := rbac.Status(ctx, root, r)
	fatal(st, err)
	if !st.Enabled || st.Revision < before.Revision {
		t.Errorf("status after enable: %+v, before %+v", st, before)
	}
	if _, err := admin.Get(ctx, kv.New().WithKey("app/x")); err == nil {
		t.Errorf("a connection without a user still reads after enable")
	}
	fatal(root.Put(ctx, kv.New().WithKey("app/x").WithValue("1")))
	fatal(root.Put(ctx, kv.New().WithKey("other/x").WithValue("1")))

	// Round trips: what was granted reads back exactly.
	want, err := readApp.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	role, err := rbac.GetRole(ctx, root, r.WithRole("reader"))
	fatal(role, err)
	if d := gocmp.Diff([]rbac.KeyPermission{want}, role.Permissions); d != "" {
		t.Errorf("reader's permissions (-granted +read back):\n%s", d)
	}
	if u, err := rbac.GetUser(ctx, root, r.WithUser("alice")); err != nil {
		t.Fatal(err)
	} else if !equal(u.Roles, []string{"reader"}) {
		t.Errorf("alice's roles %v", u.Roles)
	}
	if u, err := rbac.ListUsers(ctx, root, r); err != nil {
		t.Fatal(err)
	} else if !equal(u.Names, []string{"alice", "bob", "root"}) {
		t.Errorf("users %v", u.Names)
	}
	if l, err := rbac.ListRoles(ctx, root, r); err != nil {
		t.Fatal(err)
	} else if !equal(l.Names, []string{"reader"}) { // etcd lists no built-in root role
		t.Errorf("roles %v", l.Names)
	}

	// Alice reads under app/ and nothing else, and writes nowhere.
	alice := open(t, conn.Config{Endpoints: eps, Username: "alice", Password: "alicepw"})
	if g, err := alice.Get(ctx, kv.New().WithKey("app/").WithPrefix()); err != nil || g.Count != 1 {
		t.Errorf("alice reads app/: %+v, %v", g, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"put app/x", func() error { _, err := alice.Put(ctx, kv.New().WithKey("app/x").WithValue("2")); return err }},
		{"get other/x", func() error { _, err := alice.Get(ctx, kv.New().WithKey("other/x")); return err }},
		{"get every key", func() error { _, err := alice.Get(ctx, kv.New().WithAll()); return err }},
		{"add a user", func() error { _, err := rbac.AddUser(ctx, alice, r.WithUser("eve").WithPassword("x")); return err }},
		{"snapshot", func() error {
			_, err := maintenance.Snapshot(ctx, alice, maintenance.New().WithWriter(&discard{}))
			return err
		}},
	} {
		if err := tc.call(); !errors.Is(err, conn.ErrPermissionDenied) || errors.Is(err, conn.ErrUnknownOutcome) {
			t.Errorf("alice %s: %v, want conn.ErrPermissionDenied with a known outcome", tc.name, err)
		}
	}

	// More permissions, sorted by key as etcd keeps them; revoke one by
	// what GetRole listed.
	writeRange := rbac.Write.WithKey("w/a").WithRangeEnd("w/c")
	rwFrom := rbac.ReadWrite.WithKey("z/").WithFromKey()
	fatal(rbac.GrantPermission(ctx, root, r.WithRole("reader").WithPermission(writeRange)))
	fatal(rbac.GrantPermission(ctx, root, r.WithRole("reader").WithPermission(rwFrom)))
	var granted []rbac.KeyPermission
	for _, p := range []rbac.Permission{readApp, writeRange, rwFrom} {
		kp, err := p.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		granted = append(granted, kp)
	}
	role, err = rbac.GetRole(ctx, root, r.WithRole("reader"))
	fatal(role, err)
	if d := gocmp.Diff(granted, role.Permissions); d != "" {
		t.Errorf("reader's permissions (-granted +read back):\n%s", d)
	}
	if _, err := alice.Put(ctx, kv.New().WithKey("w/b").WithValue("1")); err != nil {
		t.Errorf("alice writes in the granted range: %v", err)
	}
	if st2, err := rbac.Status(ctx, root, r); err != nil {
		t.Fatal(err)
	} else if st2.Revision <= st.Revision {
		t.Errorf("the auth revision stayed at %d after two grants", st2.Revision)
	}
	fatal(rbac.RevokePermission(ctx, root, r.WithRole("reader").WithPermission(role.Permissions[1].Permission())))
	if _, err := rbac.RevokePermission(ctx, root, r.WithRole("reader").WithPermission(writeRange)); !errors.Is(err, conn.ErrPermissionNotGranted) {
		t.Errorf("revoke twice: %v, want conn.ErrPermissionNotGranted", err)
	}
	role, err = rbac.GetRole(ctx, root, r.WithRole("reader"))
	fatal(role, err)
	if d := gocmp.Diff([]rbac.KeyPermission{granted[0], granted[2]}, role.Permissions); d != "" {
		t.Errorf("after the revoke (-want +got):\n%s", d)
	}
	if _, err := alice.Put(ctx, kv.New().WithKey("w/b").WithValue("2")); !errors.Is(err, conn.ErrPermissionDenied) {
		t.Errorf("alice writes in the revoked range: %v, want conn.ErrPermissionDenied", err)
	}

	// A malformed permission is rejected before anything is sent, and the
	// role is unchanged.
	counter := newCounter()
	root2 := open(t, conn.Config{Endpoints: eps, Username: "root", Password: "rootpw", DialOptions: []grpc.DialOption{counter.option()}})
	sent, _ := counter.count("")
	for _, p := range []rbac.Permission{
		rbac.Read.WithKey("b").WithRangeEnd("a"),
		rbac.Read.WithKey(""),
		rbac.Read.WithKey("a").WithPrefix().WithFromKey(),
		rbac.Permission{}.WithKey("a"),
	} {
		var fe *kv.FieldError
		if _, err := rbac.GrantPermission(ctx, root2, r.WithRole("reader").WithPermission(p)); !errors.As(err, &fe) {
			t.Errorf("grant %+v: %v, want a *kv.FieldError", p, err)
		}
	}
	if n, _ := counter.count(""); n != sent {
		t.Errorf("%d RPCs sent for malformed permissions", n-sent)
	}
	if after, err := rbac.GetRole(ctx, root, r.WithRole("reader")); err != nil {
		t.Fatal(err)
	} else if !gocmp.Equal(after.Permissions, role.Permissions) {
		t.Errorf("the role changed: %+v", after.Permissions)
	}

	// A chosen endpoint is reached with the connection's credentials: root
	// on two names of the server snapshots through a connection of its own
	// to one of them (etcd lets only root take snapshots).
	_, port, _ := net.SplitHostPort(eps[0])
	rootTwice := open(t, conn.Config{Endpoints: []string{eps[0], net.JoinHostPort("localhost", port)}, Username: "root", Password: "rootpw"})
	if _, err := maintenance.Snapshot(ctx, rootTwice, maintenance.New().WithEndpoint(eps[0]).WithWriter(&discard{})); err != nil {
		t.Errorf("root snapshots through a chosen endpoint: %v", err)
	}

	// Passwords: changed, and a user without one cannot log in with one.
	fatal(rbac.ChangePassword(ctx, root, r.WithUser("alice").WithPassword("newpw")))
	if _, err := conn.New(ctx, conn.Config{Endpoints: eps, Username: "alice", Password: "alicepw"}); !errors.Is(err, conn.ErrAuthFailed) {
		t.Errorf("the old password: %v, want conn.ErrAuthFailed", err)
	}
	alice2 := open(t, conn.Config{Endpoints: eps, Username: "alice", Password: "newpw"})
	fatal(alice2.Get(ctx, kv.New().WithKey("app/x")))
	if bob, err := conn.New(ctx, conn.Config{Endpoints: eps, Username: "bob", Password: "anything"}); err == nil {
		bob.Close()
		t.Errorf("bob has no password but logged in with one")
	}

	// Revoke alice's role: she reads nothing.
	fatal(rbac.RevokeRole(ctx, root, r.WithUser("alice").WithRole("reader")))
	if u, err := rbac.GetUser(ctx, root, r.WithUser("alice")); err != nil {
		t.Fatal(err)
	} else if len(u.Roles) != 0 {
		t.Errorf("alice's roles after the revoke: %v", u.Roles)
	}
	if _, err := rbac.RevokeRole(ctx, root, r.WithUser("alice").WithRole("reader")); !errors.Is(err, conn.ErrRoleNotGranted) {
		t.Errorf("revoke twice: %v, want conn.ErrRoleNotGranted", err)
	}
	if _, err := alice2.Get(ctx, kv.New().WithKey("app/x")); !errors.Is(err, conn.ErrPermissionDenied) {
		t.Errorf("alice reads without a role: %v, want conn.ErrPermissionDenied", err)
	}

	// Delete, and the deleted are gone.
	fatal(rbac.DeleteUser(ctx, root, r.WithUser("bob")))
	if _, err := rbac.GetUser(ctx, root, r.WithUser("bob")); !errors.Is(err, conn.ErrUserNotFound) {
		t.Errorf("get a deleted user: %v, want conn.ErrUserNotFound", err)
	}
	fatal(rbac.DeleteRole(ctx, root, r.WithRole("reader")))
	if _, err := rbac.GetRole(ctx, root, r.WithRole("reader")); !errors.Is(err, conn.ErrRoleNotFound) {
		t.Errorf("get a deleted role: %v, want conn.ErrRoleNotFound", err)
	}

	// Only root turns it off.
	if _, err := rbac.Disable(ctx, alice2, r); !errors.Is(err, conn.ErrPermissionDenied) {
		t.Errorf("alice disables auth: %v, want conn.ErrPermissionDenied", err)
	}
	fatal(rbac.Disable(ctx, root, r))
	if st, err := rbac.Status(ctx, admin, r); err != nil {
		t.Fatal(err)
	} else if st.Enabled {
		t.Errorf("status after disable: %+v", st)
	}
}

func equal(a, b []string) bool { return gocmp.Equal(a, b) }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A snapshot whose auth token expired before it started authenticates
// again and completes.
func TestSnapshotReauth(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithBcryptCost(4), etcdtest.WithTokenTTL(1))
	eps := s.Endpoints()
	admin := open(t, conn.Config{Endpoints: eps})
	ctx := testCtx(t)
	fatal := fatalIf(t)
	fatal(rbac.AddUser(ctx, admin, rbac.New().WithUser("root").WithPassword("rootpw")))
	fatal(rbac.GrantRole(ctx, admin, rbac.New().WithUser("root").WithRole("root")))
	fatal(rbac.Enable(ctx, admin, rbac.New()))

	counter := newCounter()
	root := open(t, conn.Config{Endpoints: eps, Username: "root", Password: "rootpw", DialOptions: []grpc.DialOption{counter.option()}})
	const authenticate = "/etcdserverpb.Auth/Authenticate"
	logins, _ := counter.count(authenticate)
	// Simple tokens expire after the TTL (1s) without use, checked every
	// second; wait out both.
	time.Sleep(3 * time.Second)
	snap, err := maintenance.Snapshot(ctx, root, maintenance.New().WithWriter(&discard{}))
	if err != nil {
		t.Fatalf("snapshot after the token expired: %v", err)
	}
	if snap.Size == 0 {
		t.Errorf("empty snapshot")
	}
	if n, _ := counter.count(authenticate); n == logins {
		t.Skip("the token had not expired; the re-authentication path did not run")
	}
}

// A permission on a single key (no range end) covers that key and nothing
// else: the user reads, writes and deletes it, and is refused the key one
// byte longer, the key one byte shorter and the prefix of the key; the
// role reads back as exactly the one key granted.
func TestAuthSingleKey(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithBcryptCost(4))
	eps := s.Endpoints()
	admin := open(t, conn.Config{Endpoints: eps})
	ctx := testCtx(t)
	r := rbac.New()
	fatal := fatalIf(t)
	// Names of this run's own, so that a second round (-count=2) on a
	// server that is not fresh meets none of the first round's.
	run := strings.NewReplacer("/", "-").Replace(strings.TrimSuffix(etcdtest.KeyPrefix(t), "/"))
	user, role := "single-user-"+run, "single-role-"+run
	k := prefix(t) + "k"
	neighbours := []string{k + "\x00", k + "k", k[:len(k)-1]}

	fatal(rbac.AddUser(ctx, admin, r.WithUser("root").WithPassword("rootpw")))
	fatal(rbac.GrantRole(ctx, admin, r.WithUser("root").WithRole("root")))
	fatal(rbac.Enable(ctx, admin, r))
	root := open(t, conn.Config{Endpoints: eps, Username: "root", Password: "rootpw"})
	for _, key := range append([]string{k}, neighbours...) {
		fatal(root.Put(ctx, kv.New().WithKey(key).WithValue("root")))
	}

	perm := rbac.ReadWrite.WithKey(k)
	fatal(rbac.AddRole(ctx, root, r.WithRole(role)))
	fatal(rbac.GrantPermission(ctx, root, r.WithRole(role).WithPermission(perm)))
	fatal(rbac.AddUser(ctx, root, r.WithUser(user).WithPassword("pw")))
	fatal(rbac.GrantRole(ctx, root, r.WithUser(user).WithRole(role)))

	got, err := rbac.GetRole(ctx, root, r.WithRole(role))
	fatal(got, err)
	want := []rbac.KeyPermission{{Access: rbac.ReadWrite, Key: []byte(k)}}
	if d := gocmp.Diff(want, got.Permissions); d != "" {
		t.Errorf("the role's permissions (-granted +read back):\n%s", d)
	}
	if resolved, err := perm.Resolve(); err != nil || !gocmp.Equal(resolved, want[0]) {
		t.Errorf("Resolve: %+v, %v; want %+v", resolved, err, want[0])
	}
	if u, err := rbac.GetUser(ctx, root, r.WithUser(user)); err != nil {
		t.Fatal(err)
	} else if !equal(u.Roles, []string{role}) {
		t.Errorf("the user's roles %v, want [%s]", u.Roles, role)
	}

	u := open(t, conn.Config{Endpoints: eps, Username: user, Password: "pw"})
	fatal(u.Put(ctx, kv.New().WithKey(k).WithValue("user")))
	if g, err := u.Get(ctx, kv.New().WithKey(k)); err != nil || g.Count != 1 || string(g.KVs[0].Value) != "user" {
		t.Errorf("the user reads the key: %+v, %v", g, err)
	}
	if d, err := u.Delete(ctx, kv.New().WithKey(k)); err != nil || d.Deleted != 1 {
		t.Errorf("the user deletes the key: %+v, %v", d, err)
	}

	type call struct {
		name string
		do   func() error
	}
	var denied []call
	for _, n := range neighbours {
		denied = append(denied,
			call{"get " + strconv.Quote(n), func() error { _, err := u.Get(ctx, kv.New().WithKey(n)); return err }},
			call{"put " + strconv.Quote(n), func() error { _, err := u.Put(ctx, kv.New().WithKey(n).WithValue("user")); return err }},
			call{"delete " + strconv.Quote(n), func() error { _, err := u.Delete(ctx, kv.New().WithKey(n)); return err }},
		)
	}
	denied = append(denied,
		call{"get the key's prefix", func() error { _, err := u.Get(ctx, kv.New().WithKey(k).WithPrefix()); return err }},
		call{"delete the key's prefix", func() error { _, err := u.Delete(ctx, kv.New().WithKey(k).WithPrefix()); return err }},
	)
	for _, c := range denied {
		if err := c.do(); !errors.Is(err, conn.ErrPermissionDenied) || errors.Is(err, conn.ErrUnknownOutcome) {
			t.Errorf("the user may %s: %v, want conn.ErrPermissionDenied with a known outcome", c.name, err)
		}
	}
	// The refused writes changed nothing.
	for _, n := range neighbours {
		if g, err := root.Get(ctx, kv.New().WithKey(n)); err != nil || g.Count != 1 || string(g.KVs[0].Value) != "root" {
			t.Errorf("%q after the refused calls: %+v, %v", n, g, err)
		}
	}
}
