package rbac

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
)

// Response is the answer to a call that returns only etcd's response
// header: Enable, Disable, AddUser, DeleteUser, ChangePassword, GrantRole,
// RevokeRole, AddRole, DeleteRole, GrantPermission, RevokePermission.
type Response struct {
	Header conn.Header
}

// StatusResponse is the answer to Status.
type StatusResponse struct {
	Header   conn.Header
	Enabled  bool   // authentication is on
	Revision uint64 // the auth store's revision; it grows with every change of users, roles or permissions
}

// UserResponse is the answer to GetUser.
type UserResponse struct {
	Header conn.Header
	Roles  []string // the roles granted to the user, sorted
}

// RoleResponse is the answer to GetRole.
type RoleResponse struct {
	Header      conn.Header
	Permissions []KeyPermission // sorted by key, as etcd keeps them
}

// NamesResponse is the answer to ListUsers and ListRoles.
type NamesResponse struct {
	Header conn.Header
	Names  []string // sorted
}

func roleResponse(r *pb.AuthRoleGetResponse) *RoleResponse {
	out := &RoleResponse{Header: conn.HeaderOf(r.Header)}
	if len(r.Perm) > 0 {
		out.Permissions = make([]KeyPermission, len(r.Perm))
		for i, p := range r.Perm {
			out.Permissions[i] = keyPermissionOf(p)
		}
	}
	return out
}
