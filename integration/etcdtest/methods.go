package etcdtest

import (
	"testing"

	"google.golang.org/grpc"
)

// CheckUnaryMethods checks the full method names a client calls, by short
// name (want["Lock"] = "/v3lockpb.Lock/Lock"), against a service
// descriptor of etcd's: every unary method etcd serves must be called by
// that exact name, and no name may call a method etcd does not serve. A
// misspelt name would fail only at run time, with Unimplemented.
func CheckUnaryMethods(tb testing.TB, desc grpc.ServiceDesc, want map[string]string) {
	tb.Helper()
	left := make(map[string]string, len(want))
	for k, v := range want {
		left[k] = v
	}
	for _, m := range desc.Methods {
		if got := "/" + desc.ServiceName + "/" + m.MethodName; left[m.MethodName] != got {
			tb.Errorf("%s: getcd calls %q, etcd serves %q", m.MethodName, left[m.MethodName], got)
		}
		delete(left, m.MethodName)
	}
	if len(left) > 0 {
		tb.Errorf("etcd serves no unary %v", left)
	}
}
