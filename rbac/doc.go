// Package rbac administers etcd's authentication: turning it on and off,
// users, roles, and the permissions of roles on keys (etcd's Auth service:
// role-based access control, hence the name).
//
// The package is not called auth: that name is taken by many programs' own
// packages and variables, and conn already speaks of authentication (a
// connection's Username and Password). rbac says what is administered.
//
// Every call is a package function that takes a connection and a Request,
// so that registry.Call can run it by name:
//
//	_, err := rbac.AddUser(ctx, c, rbac.New().WithUser("alice").WithPassword(pw))
//	_, err = rbac.AddRole(ctx, c, rbac.New().WithRole("reader"))
//	_, err = rbac.GrantPermission(ctx, c, rbac.New().WithRole("reader").
//		WithPermission(rbac.Read.WithKey("app/").WithPrefix()))
//	_, err = rbac.GrantRole(ctx, c, rbac.New().WithUser("alice").WithRole("reader"))
//	roles, err := registry.Call(ctx, rbac.ListRoles, rbac.On("main"))
//
// # Permissions
//
// A Permission is built like a kv range: an access (Read, Write, ReadWrite)
// with a key and at most one of WithPrefix, WithFromKey and WithRangeEnd,
// or WithAll alone. Order does not matter; the range is resolved when the
// request is compiled, and an impossible one (two spans, an end that does
// not sort after the key, an empty key alone) is an error that names the
// field. GetRole returns KeyPermissions, the form etcd stores (Resolve
// gives the same form for a builder, so the two can be compared), and
// KeyPermission.Permission turns one back into a builder, for instance to
// revoke it.
//
// # Errors
//
// Bad input (a missing user or role name, a missing or empty password,
// WithPassword together with WithNoPassword, a malformed permission, an
// option the call does not use) fails with a *kv.FieldError matching
// kv.ErrInvalidRequest, and nothing is sent. etcd's refusals come back as
// *conn.Error matching conn's sentinels: conn.ErrUserNotFound,
// conn.ErrUserAlreadyExist, conn.ErrRoleNotFound, conn.ErrRoleAlreadyExist,
// conn.ErrRoleNotGranted, conn.ErrPermissionNotGranted,
// conn.ErrRootUserNotExist, conn.ErrPermissionDenied for a user who may not
// administer auth, conn.ErrAuthNotEnabled. Status, GetUser, ListUsers,
// GetRole and ListRoles are reads; every other call is a write, and a
// failure that leaves its fate unknown matches conn.ErrUnknownOutcome.
//
// Results keep etcd's response header (conn.Header).
package rbac
