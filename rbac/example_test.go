package rbac_test

import (
	"fmt"

	"github.com/getcd/getcd/rbac"
)

// A permission is built like a kv range; Resolve shows what etcd will
// store.
func ExamplePermission() {
	for _, p := range []rbac.Permission{
		rbac.Read.WithKey("app/").WithPrefix(),
		rbac.ReadWrite.WithKey("config").WithRangeEnd("configz"),
		rbac.Write.WithKey("jobs/").WithFromKey(),
		rbac.Read.WithAll(),
	} {
		kp, err := p.Resolve()
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-9s [%q, %q)\n", kp.Access, kp.Key, kp.RangeEnd)
	}
	_, err := rbac.Read.WithKey("b").WithRangeEnd("a").Resolve()
	fmt.Println(err)
	// Output:
	// read      ["app/", "app0")
	// readwrite ["config", "configz")
	// write     ["jobs/", "\x00")
	// read      ["\x00", "\x00")
	// rbac: invalid permission request: permission.range_end: range end must sort after the key, or be "\x00" for every key from the key on
}

// Granting read on a prefix to a role: the request compiles to etcd's
// message, and nothing is sent until a call runs it.
func ExampleRequest_WithPermission() {
	req := rbac.New().WithRole("reader").WithPermission(rbac.Read.WithKey("app/").WithPrefix())
	m, err := req.RoleGrantPermissionRequest()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("role %s: %s on [%q, %q)\n", m.Name, m.Perm.PermType, m.Perm.Key, m.Perm.RangeEnd)
	fmt.Println(rbac.New().WithUser("alice").WithPassword("secret"))
	// Output:
	// role reader: READ on ["app/", "app0")
	// rbac.Request{user: "alice", password: ***}
}
