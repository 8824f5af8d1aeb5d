package conn

import (
	"encoding/json"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// reads are the etcd methods that change nothing, the only ones gRPC may
// resend. Authenticate goes through raft but only issues a token.
var reads = map[string]bool{
	"etcdserverpb.KV/Range":                true,
	"etcdserverpb.Lease/LeaseTimeToLive":   true,
	"etcdserverpb.Lease/LeaseLeases":       true,
	"etcdserverpb.Cluster/MemberList":      true,
	"etcdserverpb.Maintenance/Status":      true,
	"etcdserverpb.Maintenance/Hash":        true,
	"etcdserverpb.Maintenance/HashKV":      true,
	"etcdserverpb.Auth/Authenticate":       true,
	"etcdserverpb.Auth/AuthStatus":         true,
	"etcdserverpb.Auth/UserGet":            true,
	"etcdserverpb.Auth/UserList":           true,
	"etcdserverpb.Auth/RoleGet":            true,
	"etcdserverpb.Auth/RoleList":           true,
	"etcdserverpb.Maintenance/MoveLeader":  false,
	"etcdserverpb.Maintenance/Alarm":       false, // also activates and deactivates alarms
	"etcdserverpb.Lease/LeaseRevoke":       false,
	"etcdserverpb.Maintenance/Defragment":  false,
	"etcdserverpb.Cluster/MemberPromote":   false,
	"etcdserverpb.Auth/UserChangePassword": false,
}

// Every method the service config names exists in etcd's service
// descriptors, and is a read: a write in the retry policy would be resent
// after it was applied.
func TestServiceConfigMethods(t *testing.T) {
	var sc struct {
		MethodConfig []struct {
			Name []struct {
				Service string `json:"service"`
				Method  string `json:"method"`
			} `json:"name"`
			RetryPolicy json.RawMessage `json:"retryPolicy"`
		} `json:"methodConfig"`
	}
	if err := json.Unmarshal([]byte(serviceConfig), &sc); err != nil {
		t.Fatal(err)
	}
	services := pb.File_rpc_proto.Services()
	named := 0
	for _, mc := range sc.MethodConfig {
		for _, n := range mc.Name {
			named++
			full := n.Service + "/" + n.Method
			sd := services.ByName(protoreflect.FullName(n.Service).Name())
			if sd == nil || string(sd.FullName()) != n.Service {
				t.Errorf("service config names %s: no such etcd service", full)
				continue
			}
			if sd.Methods().ByName(protoreflect.Name(n.Method)) == nil {
				t.Errorf("service config names %s: no such method of %s", full, n.Service)
			}
			if mc.RetryPolicy != nil && !reads[full] {
				t.Errorf("retry policy covers %s, which is not a known read", full)
			}
		}
	}
	if named == 0 {
		t.Fatal("the service config names no method")
	}
}
