package conn

import (
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/roundrobin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"
)

// The balancer: gRPC's round_robin, with every SubConn's state reported to
// the connection's tracker, and its picker wrapped to skip the members out
// of rotation (see health). The tracker and the health travel in the
// resolver state's attributes.

const balancerName = "getcd_round_robin"

type trackerKey struct{}

// balancerState is what a Conn hands its balancer; health is nil with
// DisableRotation.
type balancerState struct {
	t *tracker
	h *health
}

func init() { balancer.Register(trackingBuilder{}) }

type trackingBuilder struct{}

func (trackingBuilder) Name() string { return balancerName }

func (trackingBuilder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	tcc := &trackingCC{ClientConn: cc, subConns: map[balancer.SubConn]*subConn{}}
	return &trackingBalancer{Balancer: balancer.Get(roundrobin.Name).Build(tcc, opts), cc: tcc}
}

type trackingBalancer struct {
	balancer.Balancer
	cc *trackingCC
}

func (b *trackingBalancer) UpdateClientConnState(s balancer.ClientConnState) error {
	if s.ResolverState.Attributes != nil {
		if st, ok := s.ResolverState.Attributes.Value(trackerKey{}).(balancerState); ok {
			b.cc.mu.Lock()
			b.cc.st = st
			b.cc.mu.Unlock()
		}
	}
	return b.Balancer.UpdateClientConnState(s)
}

type trackingCC struct {
	balancer.ClientConn
	mu       sync.Mutex
	st       balancerState
	subConns map[balancer.SubConn]*subConn // every SubConn not shut down
}

// subConn is what the picker knows of one SubConn.
type subConn struct {
	sc       balancer.SubConn
	ep       *epHealth // nil without health
	ready    atomic.Bool
	done     func(balancer.DoneInfo) // reports failed calls to health; made once
	doneKV   func(balancer.DoneInfo) // done, and counts the end of a KV call
	doneHeld func(balancer.DoneInfo) // done, and counts the end of a held call
}

// newSubConn makes the picker's record of a SubConn to addr, with the Done
// callbacks that report to h (nil: none).
func newSubConn(h *health, addr string) *subConn {
	entry := &subConn{}
	if h == nil {
		return entry
	}
	e := h.entry(addr)
	entry.ep = e
	entry.done = func(di balancer.DoneInfo) {
		if di.Err != nil {
			h.observe(e, di.Err)
		}
	}
	entry.doneKV = func(di balancer.DoneInfo) {
		e.kvDone()
		if di.Err != nil {
			h.observe(e, di.Err)
		}
	}
	entry.doneHeld = func(di balancer.DoneInfo) {
		e.held.Add(-1)
		if di.Err != nil {
			h.observe(e, di.Err)
		}
	}
	return entry
}

// NewSubConn wraps the StateListener of each SubConn round robin creates, so
// that the tracker sees every state change and the picker knows which
// endpoint a SubConn reaches. balancer.ClientConn.NewSubConn is deprecated
// only as a warning that SubConns will hold one address each (which round
// robin's pick-first children already do); it is the one place where a
// balancer learns of its SubConns' states, and it has no replacement.
func (c *trackingCC) NewSubConn(addrs []resolver.Address, opts balancer.NewSubConnOptions) (balancer.SubConn, error) {
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	if len(addrs) == 0 {
		//lint:ignore SA1019 no replacement exists; see the comment above.
		return c.ClientConn.NewSubConn(addrs, opts)
	}
	addr, next := addrs[0].Addr, opts.StateListener
	entry := newSubConn(st.h, addr)
	opts.StateListener = func(s balancer.SubConnState) {
		entry.ready.Store(s.ConnectivityState == connectivity.Ready)
		if s.ConnectivityState == connectivity.Shutdown {
			c.mu.Lock()
			delete(c.subConns, entry.sc)
			c.mu.Unlock()
		}
		if st.t != nil {
			st.t.update(addr, s)
		}
		if next != nil {
			next(s)
		}
	}
	//lint:ignore SA1019 no replacement exists; see the comment above.
	sc, err := c.ClientConn.NewSubConn(addrs, opts)
	if err != nil {
		return nil, err
	}
	entry.sc = sc
	c.mu.Lock()
	c.subConns[sc] = entry
	c.mu.Unlock()
	return sc, nil
}

// UpdateState wraps round robin's picker in one that knows the rotation.
func (c *trackingCC) UpdateState(s balancer.State) {
	c.mu.Lock()
	h := c.st.h
	if h != nil && s.Picker != nil {
		scs := make(map[balancer.SubConn]*subConn, len(c.subConns))
		for k, v := range c.subConns {
			scs[k] = v
		}
		s.Picker = &rotationPicker{child: s.Picker, scs: scs, h: h}
	}
	c.mu.Unlock()
	c.ClientConn.UpdateState(s)
}

// rotationPicker is round robin's picker, made to skip SubConns whose
// endpoint is out of rotation. It asks round robin again, up to three times
// per SubConn, for one in rotation; if it finds none (every member it was
// offered is out), the call goes to round robin's first choice anyway: a
// connection is never made unusable by its health verdicts.
//
// A call whose context holds a probeTarget goes to that endpoint, in
// rotation or not, when its SubConn is ready: that is how the prober
// reaches the members it probes. The picker looks for one only while an
// endpoint is out or a probe is under way.
type rotationPicker struct {
	child balancer.Picker
	scs   map[balancer.SubConn]*subConn // never changed
	h     *health
}

func (p *rotationPicker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	if p.h.outNum.Load() > 0 || p.h.probing.Load() > 0 {
		if target, ok := info.Ctx.Value(probeTarget{}).(string); ok {
			return p.pickTarget(target)
		}
	}
	r, err := p.child.Pick(info)
	if err != nil {
		return r, err
	}
	e := p.scs[r.SubConn]
	if e != nil && e.ep != nil && e.ep.out.Load() {
		first, firstEntry := r, e
		found := false
		for range 3 * len(p.scs) {
			r, err = p.child.Pick(info)
			if err != nil {
				break
			}
			if e = p.scs[r.SubConn]; e == nil || e.ep == nil || !e.ep.out.Load() {
				found = true
				break
			}
			if r.Done != nil {
				r.Done(balancer.DoneInfo{}) // not used, as gRPC does with a pick it cannot use
			}
		}
		if !found {
			r, e = first, firstEntry
		}
	}
	if e == nil || e.done == nil {
		return r, nil
	}
	done := e.done
	switch {
	case isKV(info.FullMethodName):
		e.ep.kvStarted()
		done = e.doneKV
	case isHeld(info.FullMethodName):
		e.ep.held.Add(1)
		done = e.doneHeld
	}
	if r.Done == nil {
		r.Done = done
	} else {
		inner := r.Done
		r.Done = func(di balancer.DoneInfo) { done(di); inner(di) }
	}
	return r, nil
}

// isKV says whether method is one of the KV service's, the unary calls
// whose silence makes a member suspect (see health).
func isKV(method string) bool {
	const prefix = "/etcdserverpb.KV/"
	return len(method) > len(prefix) && method[:len(prefix)] == prefix
}

// isHeld says whether method is one of the calls a member holds for as long
// as they last, and whose silence proves nothing (a watch without events, a
// lock or a campaign waiting its turn): while one is open on a member that
// has ended no KV call for a ProbeInterval, the member is probed (see
// health).
func isHeld(method string) bool {
	switch method {
	case "/etcdserverpb.Watch/Watch", "/etcdserverpb.Lease/LeaseKeepAlive",
		"/v3electionpb.Election/Observe", "/v3electionpb.Election/Campaign",
		"/v3lockpb.Lock/Lock":
		return true
	}
	return false
}

func (p *rotationPicker) pickTarget(addr string) (balancer.PickResult, error) {
	for _, e := range p.scs {
		if e.ep != nil && e.ep.addr == addr && e.ready.Load() {
			return balancer.PickResult{SubConn: e.sc, Done: e.done}, nil
		}
	}
	return balancer.PickResult{}, status.Error(codes.Unavailable, "conn: probe of "+addr+": endpoint not connected")
}
