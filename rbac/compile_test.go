package rbac_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/rbac"
)

// compile compiles r as the named call.
func compile(r rbac.Request, call string) (proto.Message, error) {
	var m proto.Message
	var err error
	switch call {
	case "auth_enable":
		m, err = r.EnableRequest()
	case "auth_disable":
		m, err = r.DisableRequest()
	case "auth_status":
		m, err = r.StatusRequest()
	case "user_add":
		m, err = r.UserAddRequest()
	case "user_get":
		m, err = r.UserGetRequest()
	case "user_list":
		m, err = r.UserListRequest()
	case "user_delete":
		m, err = r.UserDeleteRequest()
	case "user_change_password":
		m, err = r.UserChangePasswordRequest()
	case "user_grant_role":
		m, err = r.UserGrantRoleRequest()
	case "user_revoke_role":
		m, err = r.UserRevokeRoleRequest()
	case "role_add":
		m, err = r.RoleAddRequest()
	case "role_get":
		m, err = r.RoleGetRequest()
	case "role_list":
		m, err = r.RoleListRequest()
	case "role_delete":
		m, err = r.RoleDeleteRequest()
	case "role_grant_permission":
		m, err = r.RoleGrantPermissionRequest()
	case "role_revoke_permission":
		m, err = r.RoleRevokePermissionRequest()
	default:
		panic("unknown call " + call)
	}
	return m, err
}

func perm(t authpb.Permission_Type, key, end string) *authpb.Permission {
	p := &authpb.Permission{PermType: t, Key: []byte(key)}
	if end != "" {
		p.RangeEnd = []byte(end)
	}
	return p
}

func TestCompile(t *testing.T) {
	u, role := rbac.New().WithUser("alice"), rbac.New().WithRole("reader")
	for _, tc := range []struct {
		name, call string
		req        rbac.Request
		want       proto.Message
	}{
		{"enable", "auth_enable", rbac.New(), &pb.AuthEnableRequest{}},
		{"disable", "auth_disable", rbac.On("c").WithTimeout(time.Second), &pb.AuthDisableRequest{}},
		{"status", "auth_status", rbac.New(), &pb.AuthStatusRequest{}},
		{"add user", "user_add", u.WithPassword("pw"), &pb.AuthUserAddRequest{Name: "alice", Password: "pw", Options: &authpb.UserAddOptions{}}},
		{"add user without password", "user_add", u.WithNoPassword(), &pb.AuthUserAddRequest{Name: "alice", Options: &authpb.UserAddOptions{NoPassword: true}}},
		{"get user", "user_get", u, &pb.AuthUserGetRequest{Name: "alice"}},
		{"list users", "user_list", rbac.New(), &pb.AuthUserListRequest{}},
		{"delete user", "user_delete", u, &pb.AuthUserDeleteRequest{Name: "alice"}},
		{"change password", "user_change_password", u.WithPassword("new"), &pb.AuthUserChangePasswordRequest{Name: "alice", Password: "new"}},
		{"grant role", "user_grant_role", u.WithRole("reader"), &pb.AuthUserGrantRoleRequest{User: "alice", Role: "reader"}},
		{"revoke role", "user_revoke_role", u.WithRole("reader"), &pb.AuthUserRevokeRoleRequest{Name: "alice", Role: "reader"}},
		{"add role", "role_add", role, &pb.AuthRoleAddRequest{Name: "reader"}},
		{"get role", "role_get", role, &pb.AuthRoleGetRequest{Role: "reader"}},
		{"list roles", "role_list", rbac.New(), &pb.AuthRoleListRequest{}},
		{"delete role", "role_delete", role, &pb.AuthRoleDeleteRequest{Role: "reader"}},
		{"grant read on a key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("k")),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READ, "k", "")}},
		{"grant read on a prefix", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("app/").WithPrefix()),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READ, "app/", "app0")}},
		{"grant write on a range", "role_grant_permission", role.WithPermission(rbac.Write.WithKey("a").WithRangeEnd("c")),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.WRITE, "a", "c")}},
		{"grant readwrite from a key", "role_grant_permission", role.WithPermission(rbac.ReadWrite.WithKey("m").WithFromKey()),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READWRITE, "m", "\x00")}},
		{"grant on every key", "role_grant_permission", role.WithPermission(rbac.ReadWrite.WithAll()),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READWRITE, "\x00", "\x00")}},
		{"grant on the empty prefix", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("").WithPrefix()),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READ, "\x00", "\x00")}},
		{"options in any order", "role_grant_permission", role.WithPermission(rbac.Permission{}.WithPrefix().WithAccess(rbac.Read).WithKey("app/")),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READ, "app/", "app0")}},
		{"prefix ending in 0xff", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("a\xff").WithPrefix()),
			&pb.AuthRoleGrantPermissionRequest{Name: "reader", Perm: perm(authpb.READ, "a\xff", "b")}},
		{"revoke a prefix", "role_revoke_permission", role.WithPermission(rbac.Read.WithKey("app/").WithPrefix()),
			&pb.AuthRoleRevokePermissionRequest{Role: "reader", Key: []byte("app/"), RangeEnd: []byte("app0")}},
		{"revoke without access", "role_revoke_permission", role.WithPermission(rbac.Permission{}.WithKey("k")),
			&pb.AuthRoleRevokePermissionRequest{Role: "reader", Key: []byte("k")}},
	} {
		got, err := compile(tc.req, tc.call)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := cmp.Diff(tc.want, got, protocmp.Transform()); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
	}
}

// TestInvalid: bad input is a *kv.FieldError naming the field; nothing
// panics and no message comes back.
func TestInvalid(t *testing.T) {
	u, role := rbac.New().WithUser("alice"), rbac.New().WithRole("reader")
	for _, tc := range []struct {
		name, call string
		req        rbac.Request
		field      string
	}{
		{"add user without name", "user_add", rbac.New().WithPassword("pw"), "name"},
		{"add user with an empty name", "user_add", rbac.New().WithUser("").WithPassword("pw"), "name"},
		{"add user without password", "user_add", u, "password"},
		{"add user with an empty password", "user_add", u.WithPassword(""), "password"},
		{"add user with both", "user_add", u.WithPassword("pw").WithNoPassword(), "password"},
		{"add user with a role", "user_add", u.WithPassword("pw").WithRole("r"), "role"},
		{"change password to empty", "user_change_password", u.WithPassword(""), "password"},
		{"change password without one", "user_change_password", u, "password"},
		{"change password, no password", "user_change_password", u.WithNoPassword(), "no_password"},
		{"grant role without role", "user_grant_role", u, "role"},
		{"grant role without user", "user_grant_role", role, "name"},
		{"revoke role without user", "user_revoke_role", role, "name"},
		{"get user with a password", "user_get", u.WithPassword("pw"), "password"},
		{"enable with a user", "auth_enable", u, "name"},
		{"list roles with a role", "role_list", role, "role"},
		{"add role without name", "role_add", rbac.New(), "role"},
		{"delete role with a permission", "role_delete", role.WithPermission(rbac.Read.WithKey("k")), "permission"},
		{"grant without permission", "role_grant_permission", role, "permission"},
		{"grant without role", "role_grant_permission", rbac.New().WithPermission(rbac.Read.WithKey("k")), "role"},
		{"grant without access", "role_grant_permission", role.WithPermission(rbac.Permission{}.WithKey("k")), "permission.perm_type"},
		{"grant with a bad access", "role_grant_permission", role.WithPermission(rbac.Access(9).WithKey("k")), "permission.perm_type"},
		{"grant on the empty key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("")), "permission.key"},
		{"grant on no key", "role_grant_permission", role.WithPermission(rbac.Permission{}.WithAccess(rbac.Read)), "permission.key"},
		{"range end before key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("b").WithRangeEnd("a")), "permission.range_end"},
		{"range end equal to key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("b").WithRangeEnd("b")), "permission.range_end"},
		{"empty range end", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("b").WithRangeEnd("")), "permission.range_end"},
		{"range without key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("").WithRangeEnd("z")), "permission.key"},
		{"prefix and from key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("a").WithPrefix().WithFromKey()), "permission.range_end"},
		{"all with a key", "role_grant_permission", role.WithPermission(rbac.Read.WithKey("a").WithAll()), "permission.key"},
		{"revoke a malformed range", "role_revoke_permission", role.WithPermission(rbac.Read.WithKey("b").WithRangeEnd("a")), "permission.range_end"},
		{"negative timeout", "auth_status", rbac.New().WithTimeout(-time.Second), "timeout"},
		// Not UTF-8: gRPC cannot encode these protobuf strings, and would
		// fail only after picking a member, as a write of unknown outcome.
		{"add user named in Latin-1", "user_add", rbac.New().WithUser("j\xfcrgen").WithPassword("pw"), "name"},
		{"add user with a Latin-1 password", "user_add", u.WithPassword("gr\xfcn"), "password"},
		{"change to a Latin-1 password", "user_change_password", u.WithPassword("\xff"), "password"},
		{"delete a user not in UTF-8", "user_delete", rbac.New().WithUser("\xc3"), "name"},
		{"add role not in UTF-8", "role_add", rbac.New().WithRole("r\xff"), "role"},
		{"grant role not in UTF-8", "user_grant_role", u.WithRole("r\xff"), "role"},
		{"grant permission to a role not in UTF-8", "role_grant_permission", rbac.New().WithRole("\x80").WithPermission(rbac.Read.WithKey("k")), "role"},
	} {
		m, err := compile(tc.req, tc.call)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a *kv.FieldError", tc.name, err)
			continue
		}
		if fe.Pkg != "rbac" || fe.Req != tc.call || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: %+v, want rbac/%s/%s with a reason", tc.name, *fe, tc.call, tc.field)
		}
		if !reflect.ValueOf(m).IsNil() {
			t.Errorf("%s: a message came back with the error", tc.name)
		}
	}
}

// Resolve and KeyPermission.Permission round-trip: a stored permission
// turned back into a builder resolves to itself.
func TestResolveRoundTrip(t *testing.T) {
	for _, p := range []rbac.Permission{
		rbac.Read.WithKey("k"),
		rbac.Write.WithKey("app/").WithPrefix(),
		rbac.ReadWrite.WithKey("a").WithRangeEnd("c"),
		rbac.Read.WithKey("m").WithFromKey(),
		rbac.ReadWrite.WithAll(),
	} {
		kp, err := p.Resolve()
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		again, err := kp.Permission().Resolve()
		if err != nil {
			t.Fatalf("%+v: %v", kp, err)
		}
		if d := cmp.Diff(kp, again); d != "" {
			t.Errorf("round trip of %+v (-first +second):\n%s", kp, d)
		}
		if kp.Access != p.Access() {
			t.Errorf("access %v, want %v", kp.Access, p.Access())
		}
	}
}

// GetRole("root") lists etcd's built-in permission of the root role, the
// empty key to "\x00" (every key), which etcd refuses in a grant. Its
// builder is every key, so it can be granted to another role.
func TestRootPermission(t *testing.T) {
	root := rbac.KeyPermission{Access: rbac.ReadWrite, Key: nil, RangeEnd: []byte{0}}
	got, err := root.Permission().Resolve()
	if err != nil {
		t.Fatalf("the root role's permission %+v: %v", root, err)
	}
	want, err := rbac.ReadWrite.WithAll().Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the root role's permission resolves to (-every key +got):\n%s", d)
	}
	m, err := compile(rbac.New().WithRole("admin").WithPermission(root.Permission()), "role_grant_permission")
	if err != nil {
		t.Fatalf("granting the root role's permission: %v", err)
	}
	if p := m.(*pb.AuthRoleGrantPermissionRequest).Perm; string(p.Key) != "\x00" || string(p.RangeEnd) != "\x00" {
		t.Errorf("granting the root role's permission sends %q to %q, want every key (\"\\x00\" to \"\\x00\")", p.Key, p.RangeEnd)
	}
}

// The request's String never shows the password.
func TestStringHidesPassword(t *testing.T) {
	r := rbac.On("main").WithUser("alice").WithPassword("s3cret")
	for _, s := range []string{r.String(), fmt.Sprint(r), fmt.Sprintf("%v %+v %s", r, r, r)} {
		if strings.Contains(s, "s3cret") || !strings.Contains(s, "alice") {
			t.Errorf("String = %q", s)
		}
	}
}

// TestImmutable derives many requests from shared bases in parallel (run
// with -race).
func TestImmutable(t *testing.T) {
	base := rbac.New().WithRole("r")
	pbase := rbac.Read.WithKey("app/")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pbase.WithPrefix()
			if i%2 == 0 {
				p = pbase.WithRangeEnd("b")
			}
			if _, err := base.WithPermission(p).RoleGrantPermissionRequest(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := base.RoleAddRequest(); err != nil {
		t.Errorf("base changed: %v", err)
	}
	got, err := base.WithPermission(pbase).RoleGrantPermissionRequest()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&pb.AuthRoleGrantPermissionRequest{Name: "r", Perm: perm(authpb.READ, "app/", "")}, got, protocmp.Transform()); d != "" {
		t.Errorf("permission base changed (-want +got):\n%s", d)
	}
}
