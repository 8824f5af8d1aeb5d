package kvtest

import (
	"testing"

	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
)

// A service config given through DialOptions does not replace getcd's: the
// balancer that tracks each endpoint (and the retry policy of reads) stay.
func TestDialOptionsKeepServiceConfig(t *testing.T) {
	c := open(t, nil, conn.Config{DialOptions: []grpc.DialOption{
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"pick_first": {}}]}`),
	}})
	for _, st := range c.Status() {
		if st.State != conn.StateActive {
			t.Errorf("endpoint %s is %v, want active: getcd's balancer was replaced", st.Endpoint, st.State)
		}
	}
}
