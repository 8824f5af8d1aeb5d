package kv_test

import (
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

func TestPutRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  kv.Request
		want *pb.PutRequest
	}{
		{"key value", kv.New().WithKey("key").WithValue("value"), &pb.PutRequest{Key: b("key"), Value: b("value")}},
		{"key only", kv.New().WithKey("key"), &pb.PutRequest{Key: b("key")}},
		{"empty value", kv.New().WithKey("key").WithValue(""), &pb.PutRequest{Key: b("key")}},
		{"binary", kv.New().WithKeyBytes([]byte{0, 0xff}).WithValueBytes([]byte{0xff, 0}), &pb.PutRequest{Key: []byte{0, 0xff}, Value: []byte{0xff, 0}}},
		{"lease", kv.New().WithKey("k").WithValue("v").WithLease(0x7e57), &pb.PutRequest{Key: b("k"), Value: b("v"), Lease: 0x7e57}},
		{"lease zero", kv.New().WithKey("k").WithValue("v").WithLease(0), &pb.PutRequest{Key: b("k"), Value: b("v")}},
		{"prev kv", kv.New().WithKey("k").WithValue("v").WithPrevKV(), &pb.PutRequest{Key: b("k"), Value: b("v"), PrevKv: true}},
		{"ignore value", kv.New().WithKey("k").WithIgnoreValue().WithLease(9), &pb.PutRequest{Key: b("k"), Lease: 9, IgnoreValue: true}},
		{"ignore lease", kv.New().WithKey("k").WithValue("v").WithIgnoreLease(), &pb.PutRequest{Key: b("k"), Value: b("v"), IgnoreLease: true}},
		{"ignore both", kv.New().WithKey("k").WithIgnoreValue().WithIgnoreLease().WithPrevKV(),
			&pb.PutRequest{Key: b("k"), IgnoreValue: true, IgnoreLease: true, PrevKv: true}},
		{"timeout and conn", kv.On("c").WithKey("k").WithValue("v").WithTimeout(time.Second), &pb.PutRequest{Key: b("k"), Value: b("v")}},
		{"last value wins", kv.New().WithKey("k").WithValue("1").WithValue("2"), &pb.PutRequest{Key: b("k"), Value: b("2")}},
		{"every option", kv.New().WithValue("v").WithPrevKV().WithLease(3).WithKey("k"),
			&pb.PutRequest{Key: b("k"), Value: b("v"), Lease: 3, PrevKv: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.PutRequest()
			if err != nil {
				t.Fatalf("PutRequest() error: %v", err)
			}
			diff(t, tc.want, got)
		})
	}
}

// TestPutCopiesBytes shows WithKeyBytes and WithValueBytes copy: changing
// the caller's slices afterwards changes nothing.
func TestPutCopiesBytes(t *testing.T) {
	key, value := []byte("key"), []byte("value")
	req := kv.New().WithKeyBytes(key).WithValueBytes(value)
	key[0], value[0] = 'X', 'X'
	got, err := req.PutRequest()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.PutRequest{Key: b("key"), Value: b("value")}, got)
	// And the compiled message owns its bytes: changing it does not change
	// the request.
	got.Key[0], got.Value[0] = 'Y', 'Y'
	again, _ := req.PutRequest()
	diff(t, &pb.PutRequest{Key: b("key"), Value: b("value")}, again)
}
