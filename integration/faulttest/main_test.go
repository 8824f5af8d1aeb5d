// Package faulttest runs getcd against a three-member etcd cluster of
// separate processes and kills members under load: reads must keep
// succeeding through a follower's death, every failed write must say
// whether its outcome is known, and no acknowledged write may be lost or
// applied twice.
package faulttest

import (
	"context"
	"os"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/integration/etcdtest"
)

var etcdBin string

func TestMain(m *testing.M) { os.Exit(etcdtest.MainWithBinary(m, "faulttest", &etcdBin)) }

// roles returns the index of the leader and of the followers, asking each
// member for its status on a connection of its own.
func roles(t *testing.T, cl *etcdtest.Cluster) (leader int, followers []int) {
	t.Helper()
	leader = -1
	for i, m := range cl.Members {
		c, err := conn.New(context.Background(), conn.Config{Endpoints: []string{m.Endpoint()}})
		if err != nil {
			t.Fatal(err)
		}
		st := &pb.StatusResponse{}
		err = c.ClientConn().Invoke(context.Background(), "/etcdserverpb.Maintenance/Status", &pb.StatusRequest{}, st)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Leader == st.Header.MemberId {
			leader = i
		} else {
			followers = append(followers, i)
		}
	}
	if leader < 0 {
		t.Fatal("no member says it is the leader")
	}
	return leader, followers
}
