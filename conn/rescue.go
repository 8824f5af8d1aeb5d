package conn

import (
	"context"
	"net"
	"slices"
	"sync"

	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/credentials"
)

// A member cut off from its peers keeps the calls it accepted before it
// noticed: linearizable reads wait for a read index from a leader it cannot
// reach, writes for a proposal that goes nowhere, streams for events that
// stop, all until etcd's request timeout (seven seconds by default) or the
// caller's deadline. Taking the member out of rotation only keeps new calls
// away. To free what it holds, the connection closes its network
// connections to that member (see health.rescue): the transport fails every
// call and stream on them at once with UNAVAILABLE, so that reads go to
// another member through the retry policy, writes report an unknown
// outcome now instead of seconds later (as they would then), and watches
// and keep-alives resume on another member. gRPC dials the member again
// for the prober, which puts it back when it has a leader again.
//
// The network connections are recorded at their handshake by wrapping the
// transport credentials: they are the one hook that sees each connection
// with its endpoint (the resolver's address carries the endpoint as an
// attribute), whatever dialer the user's DialOptions install, and without
// wrapping the connection gRPC reads from.

// endpointAttr is the key of the endpoint (host:port) in a resolver
// address's attributes.
type endpointAttr struct{}

// keptConns is how many of an endpoint's latest connections are recorded:
// gRPC keeps one per endpoint, and a new one replaces a closed one, so older
// ones are closed already.
const keptConns = 4

// liveConns records the network connections of each endpoint.
type liveConns struct {
	mu sync.Mutex
	by map[string][]net.Conn
}

func (l *liveConns) add(addr string, c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string][]net.Conn{}
	}
	cs := append(l.by[addr], c)
	if len(cs) > keptConns {
		cs = append(cs[:0:0], cs[len(cs)-keptConns:]...)
	}
	l.by[addr] = cs
}

// closeAll closes the recorded connections of addr and forgets them.
func (l *liveConns) closeAll(addr string) int {
	l.mu.Lock()
	cs := l.by[addr]
	delete(l.by, addr)
	l.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	return len(cs)
}

// retain forgets the connections of every endpoint but addrs, the current
// ones: gRPC closes the connections of an endpoint that goes, and without
// this the record of every endpoint the connection ever had (each member
// replaced or readdressed, as Sync follows them) would stay for its life.
func (l *liveConns) retain(addrs []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for a := range l.by {
		if !slices.Contains(addrs, a) {
			delete(l.by, a)
		}
	}
}

// recordingCreds records each connection its handshake makes.
type recordingCreds struct {
	credentials.TransportCredentials
	live *liveConns
}

func (r recordingCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c, info, err := r.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return c, info, err
	}
	if attrs := credentials.ClientHandshakeInfoFromContext(ctx).Attributes; attrs != nil {
		if addr, ok := attrs.Value(endpointAttr{}).(string); ok {
			r.live.add(addr, raw)
		}
	}
	return c, info, nil
}

func (r recordingCreds) Clone() credentials.TransportCredentials {
	return recordingCreds{TransportCredentials: r.TransportCredentials.Clone(), live: r.live}
}

// endpointAttrs carries addr in a resolver address.
func endpointAttrs(addr string) *attributes.Attributes {
	return attributes.New(endpointAttr{}, addr)
}
