package rbac

import (
	"unicode/utf8"

	"go.etcd.io/etcd/api/v3/authpb"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/errs"
)

func invalid(req, field, reason string) error { return errs.Field("rbac", req, field, reason) }

const notUTF8 = "not valid UTF-8; etcd's user names, role names and passwords are UTF-8 strings"

// check rejects options the call does not use, a negative timeout, a
// missing or empty user or role name where the call needs one, and a name
// or password that is not valid UTF-8.
func (r Request) check(req string, allowed option, needs option) error {
	if extra := r.set &^ (allowed | optTimeout); extra != 0 {
		return invalid(req, extra.field(), "not used by "+req)
	}
	if r.timeout < 0 {
		return invalid(req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	// etcd's names and passwords are protobuf strings, which must be UTF-8:
	// gRPC would refuse to encode the request only once a stream to a
	// member exists, and a write would then report an unknown outcome
	// although nothing was sent.
	switch {
	case r.set.has(optUser) && !utf8.ValidString(r.user):
		return invalid(req, "name", notUTF8)
	case r.set.has(optRole) && !utf8.ValidString(r.role):
		return invalid(req, "role", notUTF8)
	case r.set.has(optPassword) && !utf8.ValidString(r.password):
		return invalid(req, "password", notUTF8)
	}
	if needs.has(optUser) && r.user == "" {
		return invalid(req, "name", "a user name is required (WithUser)")
	}
	if needs.has(optRole) && r.role == "" {
		return invalid(req, "role", "a role name is required (WithRole)")
	}
	return nil
}

// EnableRequest compiles r into a fresh *pb.AuthEnableRequest.
func (r Request) EnableRequest() (*pb.AuthEnableRequest, error) {
	if err := r.check("auth_enable", 0, 0); err != nil {
		return nil, err
	}
	return &pb.AuthEnableRequest{}, nil
}

// DisableRequest compiles r into a fresh *pb.AuthDisableRequest.
func (r Request) DisableRequest() (*pb.AuthDisableRequest, error) {
	if err := r.check("auth_disable", 0, 0); err != nil {
		return nil, err
	}
	return &pb.AuthDisableRequest{}, nil
}

// StatusRequest compiles r into a fresh *pb.AuthStatusRequest.
func (r Request) StatusRequest() (*pb.AuthStatusRequest, error) {
	if err := r.check("auth_status", 0, 0); err != nil {
		return nil, err
	}
	return &pb.AuthStatusRequest{}, nil
}

// UserAddRequest compiles r into a fresh *pb.AuthUserAddRequest: a user
// with a non-empty password, or with WithNoPassword.
func (r Request) UserAddRequest() (*pb.AuthUserAddRequest, error) {
	const req = "user_add"
	if err := r.check(req, optUser|optPassword|optNoPassword, optUser); err != nil {
		return nil, err
	}
	switch {
	case r.set.has(optPassword) && r.set.has(optNoPassword):
		return nil, invalid(req, "password", "WithPassword and WithNoPassword are mutually exclusive")
	case r.set.has(optNoPassword):
		return &pb.AuthUserAddRequest{Name: r.user, Options: &authpb.UserAddOptions{NoPassword: true}}, nil
	case r.password == "":
		return nil, invalid(req, "password", "a password is required (WithPassword), or WithNoPassword for a user without one")
	}
	return &pb.AuthUserAddRequest{Name: r.user, Password: r.password, Options: &authpb.UserAddOptions{}}, nil
}

// UserGetRequest compiles r into a fresh *pb.AuthUserGetRequest.
func (r Request) UserGetRequest() (*pb.AuthUserGetRequest, error) {
	if err := r.check("user_get", optUser, optUser); err != nil {
		return nil, err
	}
	return &pb.AuthUserGetRequest{Name: r.user}, nil
}

// UserListRequest compiles r into a fresh *pb.AuthUserListRequest.
func (r Request) UserListRequest() (*pb.AuthUserListRequest, error) {
	if err := r.check("user_list", 0, 0); err != nil {
		return nil, err
	}
	return &pb.AuthUserListRequest{}, nil
}

// UserDeleteRequest compiles r into a fresh *pb.AuthUserDeleteRequest.
func (r Request) UserDeleteRequest() (*pb.AuthUserDeleteRequest, error) {
	if err := r.check("user_delete", optUser, optUser); err != nil {
		return nil, err
	}
	return &pb.AuthUserDeleteRequest{Name: r.user}, nil
}

// UserChangePasswordRequest compiles r into a fresh
// *pb.AuthUserChangePasswordRequest.
func (r Request) UserChangePasswordRequest() (*pb.AuthUserChangePasswordRequest, error) {
	const req = "user_change_password"
	if err := r.check(req, optUser|optPassword, optUser); err != nil {
		return nil, err
	}
	if r.password == "" {
		return nil, invalid(req, "password", "a new password is required (WithPassword)")
	}
	return &pb.AuthUserChangePasswordRequest{Name: r.user, Password: r.password}, nil
}

// UserGrantRoleRequest compiles r into a fresh *pb.AuthUserGrantRoleRequest.
func (r Request) UserGrantRoleRequest() (*pb.AuthUserGrantRoleRequest, error) {
	if err := r.check("user_grant_role", optUser|optRole, optUser|optRole); err != nil {
		return nil, err
	}
	return &pb.AuthUserGrantRoleRequest{User: r.user, Role: r.role}, nil
}

// UserRevokeRoleRequest compiles r into a fresh *pb.AuthUserRevokeRoleRequest.
func (r Request) UserRevokeRoleRequest() (*pb.AuthUserRevokeRoleRequest, error) {
	if err := r.check("user_revoke_role", optUser|optRole, optUser|optRole); err != nil {
		return nil, err
	}
	return &pb.AuthUserRevokeRoleRequest{Name: r.user, Role: r.role}, nil
}

// RoleAddRequest compiles r into a fresh *pb.AuthRoleAddRequest.
func (r Request) RoleAddRequest() (*pb.AuthRoleAddRequest, error) {
	if err := r.check("role_add", optRole, optRole); err != nil {
		return nil, err
	}
	return &pb.AuthRoleAddRequest{Name: r.role}, nil
}

// RoleGetRequest compiles r into a fresh *pb.AuthRoleGetRequest.
func (r Request) RoleGetRequest() (*pb.AuthRoleGetRequest, error) {
	if err := r.check("role_get", optRole, optRole); err != nil {
		return nil, err
	}
	return &pb.AuthRoleGetRequest{Role: r.role}, nil
}

// RoleListRequest compiles r into a fresh *pb.AuthRoleListRequest.
func (r Request) RoleListRequest() (*pb.AuthRoleListRequest, error) {
	if err := r.check("role_list", 0, 0); err != nil {
		return nil, err
	}
	return &pb.AuthRoleListRequest{}, nil
}

// RoleDeleteRequest compiles r into a fresh *pb.AuthRoleDeleteRequest.
func (r Request) RoleDeleteRequest() (*pb.AuthRoleDeleteRequest, error) {
	if err := r.check("role_delete", optRole, optRole); err != nil {
		return nil, err
	}
	return &pb.AuthRoleDeleteRequest{Role: r.role}, nil
}

// permission compiles the request's permission for req. anyAccess lets a
// permission without an access through (revoking ignores it).
func (r Request) permission(req string, anyAccess bool) (*authpb.Permission, error) {
	if !r.set.has(optPermission) {
		return nil, invalid(req, "permission", "a permission is required (WithPermission)")
	}
	p := r.perm
	if anyAccess && p.access == 0 {
		p.access = Read
	}
	return p.compile(req)
}

// RoleGrantPermissionRequest compiles r into a fresh
// *pb.AuthRoleGrantPermissionRequest.
func (r Request) RoleGrantPermissionRequest() (*pb.AuthRoleGrantPermissionRequest, error) {
	const req = "role_grant_permission"
	if err := r.check(req, optRole|optPermission, optRole); err != nil {
		return nil, err
	}
	p, err := r.permission(req, false)
	if err != nil {
		return nil, err
	}
	return &pb.AuthRoleGrantPermissionRequest{Name: r.role, Perm: p}, nil
}

// RoleRevokePermissionRequest compiles r into a fresh
// *pb.AuthRoleRevokePermissionRequest. The permission's access is not
// sent (and may be left out): etcd revokes the permission on exactly that
// key range, whatever its access.
func (r Request) RoleRevokePermissionRequest() (*pb.AuthRoleRevokePermissionRequest, error) {
	const req = "role_revoke_permission"
	if err := r.check(req, optRole|optPermission, optRole); err != nil {
		return nil, err
	}
	p, err := r.permission(req, true)
	if err != nil {
		return nil, err
	}
	return &pb.AuthRoleRevokePermissionRequest{Role: r.role, Key: p.Key, RangeEnd: p.RangeEnd}, nil
}
