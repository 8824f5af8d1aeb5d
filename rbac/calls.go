package rbac

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// Full gRPC method names of etcd's Auth service used here.
const (
	MethodAuthEnable           = "/etcdserverpb.Auth/AuthEnable"
	MethodAuthDisable          = "/etcdserverpb.Auth/AuthDisable"
	MethodAuthStatus           = "/etcdserverpb.Auth/AuthStatus"
	MethodUserAdd              = "/etcdserverpb.Auth/UserAdd"
	MethodUserGet              = "/etcdserverpb.Auth/UserGet"
	MethodUserList             = "/etcdserverpb.Auth/UserList"
	MethodUserDelete           = "/etcdserverpb.Auth/UserDelete"
	MethodUserChangePassword   = "/etcdserverpb.Auth/UserChangePassword"
	MethodUserGrantRole        = "/etcdserverpb.Auth/UserGrantRole"
	MethodUserRevokeRole       = "/etcdserverpb.Auth/UserRevokeRole"
	MethodRoleAdd              = "/etcdserverpb.Auth/RoleAdd"
	MethodRoleGet              = "/etcdserverpb.Auth/RoleGet"
	MethodRoleList             = "/etcdserverpb.Auth/RoleList"
	MethodRoleDelete           = "/etcdserverpb.Auth/RoleDelete"
	MethodRoleGrantPermission  = "/etcdserverpb.Auth/RoleGrantPermission"
	MethodRoleRevokePermission = "/etcdserverpb.Auth/RoleRevokePermission"
)

// call compiles, sends and converts one request.
func call[M, R proto.Message, O any](ctx context.Context, c *conn.Conn, r Request, method string, kind connx.Kind,
	m M, compileErr error, resp R, convert func(R) O) (O, error) {
	var zero O
	if compileErr != nil {
		return zero, compileErr
	}
	if err := unary.Call(ctx, c, r.timeout, method, kind, m, resp); err != nil {
		return zero, err
	}
	return convert(resp), nil
}

// header is the conversion of the answers that carry only a header.
func header[R interface{ GetHeader() *pb.ResponseHeader }](resp R) *Response {
	return &Response{Header: conn.HeaderOf(resp.GetHeader())}
}

// Enable turns authentication on. etcd refuses unless a user root with the
// role root exists (conn.ErrRootUserNotExist, conn.ErrRootRoleNotExist).
// From then on the connection that enabled it needs a user too.
func Enable(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.EnableRequest()
	return call(ctx, c, r, MethodAuthEnable, connx.Write, m, err, &pb.AuthEnableResponse{}, header)
}

// Disable turns authentication off; only root may.
func Disable(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.DisableRequest()
	return call(ctx, c, r, MethodAuthDisable, connx.Write, m, err, &pb.AuthDisableResponse{}, header)
}

// Status reports whether authentication is on and the auth store's
// revision.
func Status(ctx context.Context, c *conn.Conn, r Request) (*StatusResponse, error) {
	m, err := r.StatusRequest()
	return call(ctx, c, r, MethodAuthStatus, connx.Read, m, err, &pb.AuthStatusResponse{},
		func(resp *pb.AuthStatusResponse) *StatusResponse {
			return &StatusResponse{Header: conn.HeaderOf(resp.Header), Enabled: resp.Enabled, Revision: resp.AuthRevision}
		})
}

// AddUser adds the user r.WithUser names, with r.WithPassword's password or
// none (WithNoPassword).
func AddUser(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.UserAddRequest()
	return call(ctx, c, r, MethodUserAdd, connx.Write, m, err, &pb.AuthUserAddResponse{}, header)
}

// GetUser returns the roles granted to the user r.WithUser names.
func GetUser(ctx context.Context, c *conn.Conn, r Request) (*UserResponse, error) {
	m, err := r.UserGetRequest()
	return call(ctx, c, r, MethodUserGet, connx.Read, m, err, &pb.AuthUserGetResponse{},
		func(resp *pb.AuthUserGetResponse) *UserResponse {
			return &UserResponse{Header: conn.HeaderOf(resp.Header), Roles: resp.Roles}
		})
}

// ListUsers lists every user's name.
func ListUsers(ctx context.Context, c *conn.Conn, r Request) (*NamesResponse, error) {
	m, err := r.UserListRequest()
	return call(ctx, c, r, MethodUserList, connx.Read, m, err, &pb.AuthUserListResponse{},
		func(resp *pb.AuthUserListResponse) *NamesResponse {
			return &NamesResponse{Header: conn.HeaderOf(resp.Header), Names: resp.Users}
		})
}

// DeleteUser deletes the user r.WithUser names.
func DeleteUser(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.UserDeleteRequest()
	return call(ctx, c, r, MethodUserDelete, connx.Write, m, err, &pb.AuthUserDeleteResponse{}, header)
}

// ChangePassword sets a new password (r.WithPassword) for the user
// r.WithUser names.
func ChangePassword(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.UserChangePasswordRequest()
	return call(ctx, c, r, MethodUserChangePassword, connx.Write, m, err, &pb.AuthUserChangePasswordResponse{}, header)
}

// GrantRole grants the role r.WithRole names to the user r.WithUser names.
func GrantRole(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.UserGrantRoleRequest()
	return call(ctx, c, r, MethodUserGrantRole, connx.Write, m, err, &pb.AuthUserGrantRoleResponse{}, header)
}

// RevokeRole takes the role r.WithRole names from the user r.WithUser
// names.
func RevokeRole(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.UserRevokeRoleRequest()
	return call(ctx, c, r, MethodUserRevokeRole, connx.Write, m, err, &pb.AuthUserRevokeRoleResponse{}, header)
}

// AddRole adds the role r.WithRole names, with no permission.
func AddRole(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.RoleAddRequest()
	return call(ctx, c, r, MethodRoleAdd, connx.Write, m, err, &pb.AuthRoleAddResponse{}, header)
}

// GetRole returns the permissions of the role r.WithRole names.
func GetRole(ctx context.Context, c *conn.Conn, r Request) (*RoleResponse, error) {
	m, err := r.RoleGetRequest()
	return call(ctx, c, r, MethodRoleGet, connx.Read, m, err, &pb.AuthRoleGetResponse{}, roleResponse)
}

// ListRoles lists every role's name.
func ListRoles(ctx context.Context, c *conn.Conn, r Request) (*NamesResponse, error) {
	m, err := r.RoleListRequest()
	return call(ctx, c, r, MethodRoleList, connx.Read, m, err, &pb.AuthRoleListResponse{},
		func(resp *pb.AuthRoleListResponse) *NamesResponse {
			return &NamesResponse{Header: conn.HeaderOf(resp.Header), Names: resp.Roles}
		})
}

// DeleteRole deletes the role r.WithRole names.
func DeleteRole(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.RoleDeleteRequest()
	return call(ctx, c, r, MethodRoleDelete, connx.Write, m, err, &pb.AuthRoleDeleteResponse{}, header)
}

// GrantPermission grants r.WithPermission to the role r.WithRole names. A
// permission on exactly the same key range replaces the access of the one
// the role has.
func GrantPermission(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.RoleGrantPermissionRequest()
	return call(ctx, c, r, MethodRoleGrantPermission, connx.Write, m, err, &pb.AuthRoleGrantPermissionResponse{}, header)
}

// RevokePermission takes from the role r.WithRole names its permission on
// exactly r.WithPermission's key range (conn.ErrPermissionNotGranted if it
// has none).
func RevokePermission(ctx context.Context, c *conn.Conn, r Request) (*Response, error) {
	m, err := r.RoleRevokePermissionRequest()
	return call(ctx, c, r, MethodRoleRevokePermission, connx.Write, m, err, &pb.AuthRoleRevokePermissionResponse{}, header)
}
