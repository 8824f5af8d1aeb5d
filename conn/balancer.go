package conn

import (
	"sync"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/roundrobin"
	"google.golang.org/grpc/resolver"
)

// The balancer: gRPC's round_robin, with every SubConn's state reported to
// the connection's tracker. The tracker travels in the resolver state's
// attributes.

const balancerName = "getcd_round_robin"

type trackerKey struct{}

func init() { balancer.Register(trackingBuilder{}) }

type trackingBuilder struct{}

func (trackingBuilder) Name() string { return balancerName }

func (trackingBuilder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	tcc := &trackingCC{ClientConn: cc}
	return &trackingBalancer{Balancer: balancer.Get(roundrobin.Name).Build(tcc, opts), cc: tcc}
}

type trackingBalancer struct {
	balancer.Balancer
	cc *trackingCC
}

func (b *trackingBalancer) UpdateClientConnState(s balancer.ClientConnState) error {
	if s.ResolverState.Attributes != nil {
		if t, ok := s.ResolverState.Attributes.Value(trackerKey{}).(*tracker); ok {
			b.cc.mu.Lock()
			b.cc.t = t
			b.cc.mu.Unlock()
		}
	}
	return b.Balancer.UpdateClientConnState(s)
}

type trackingCC struct {
	balancer.ClientConn
	mu sync.Mutex
	t  *tracker
}

// NewSubConn wraps the StateListener of each SubConn round robin creates, so
// that the tracker sees every state change. balancer.ClientConn.NewSubConn is
// deprecated only as a warning that SubConns will hold one address each
// (which round robin's pick-first children already do); it is the one place
// where a balancer learns of its SubConns' states, and it has no
// replacement.
func (c *trackingCC) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	c.mu.Lock()
	t := c.t
	c.mu.Unlock()
	if t != nil && len(addrs) > 0 {
		addr, next := addrs[0].Addr, opts.StateListener
		opts.StateListener = func(s balancer.SubConnState) {
			t.update(addr, s)
			if next != nil {
				next(s)
			}
		}
	}
	//lint:ignore SA1019 no replacement exists; see the comment above.
	return c.ClientConn.NewSubConn(addrs, opts)
}
