package conn

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/codes"
)

const methodMemberList = "/etcdserverpb.Cluster/MemberList"

// ErrNoUsableMember is matched by the error of Sync when the member list
// holds no member the connection could use: every member is a learner,
// has not started, or has no client URL of the connection's scheme. The
// endpoints are then left as they were.
var ErrNoUsableMember = errors.New("conn: no usable member in the member list")

// SetEndpoints replaces the connection's endpoints, written as in
// Config.Endpoints. Calls in flight finish where they are; new calls use
// the new endpoints, Status and Endpoints list them (an endpoint that stays
// keeps its state and its place in rotation). Every endpoint must use the
// connection's transport: an http:// endpoint on a TLS connection, or an
// https:// one on a plain one, is refused, as is an empty list; the error
// is a *ConfigError and nothing changes.
func (c *Conn) SetEndpoints(endpoints ...string) error {
	if err := c.usable("SetEndpoints"); err != nil {
		return err
	}
	if len(endpoints) == 0 {
		return &ConfigError{Field: "Endpoints", Reason: "at least one endpoint is required"}
	}
	eps, err := parseEndpoints(endpoints)
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if ep.secure && !c.secure || ep.plain && c.secure {
			return &ConfigError{Field: "Endpoints", Reason: "endpoint " + strconv.Quote(ep.addr) +
				" does not use the connection's transport (" + c.transport() + ")"}
		}
	}
	return c.setEndpoints(eps)
}

func (c *Conn) transport() string {
	if c.secure {
		return "https"
	}
	return "http"
}

// setEndpoints installs eps, unless they are the current endpoints: the tracker and the rotation first, then the resolver, so that
// the balancer's first reports about a new endpoint find its row.
func (c *Conn) setEndpoints(eps []endpoint) error {
	c.epsMu.Lock()
	defer c.epsMu.Unlock()
	if c.closed.Load() {
		return c.closedError("SetEndpoints", "", false, false, "")
	}
	cur := c.endpoints()
	if sameEndpoints(cur, eps) {
		return nil
	}
	addrs := make([]string, len(eps))
	for i, ep := range eps {
		addrs[i] = ep.addr
	}
	c.tracker.setEndpoints(addrs)
	if c.health != nil {
		c.health.setEndpoints(addrs)
	}
	c.eps.Store(&eps)
	c.resolver.UpdateState(c.resolverState())
	c.live.retain(addrs)
	c.cfg.Logger.Info("getcd: endpoints changed", "endpoints", addrs)
	return nil
}

// sameEndpoints says whether a and b hold the same addresses in the same
// order.
func sameEndpoints(a, b []endpoint) bool {
	return slices.EqualFunc(a, b, func(x, y endpoint) bool { return x.addr == y.addr && x.host == y.host })
}

// Sync sets the endpoints from the cluster's member list, read
// linearizably: the client URLs of every started voting member whose
// scheme is the connection's (http:// on a plain connection, https:// with
// TLS). Learners are left out (etcd refuses them every request but Status
// and serializable reads), and so are members that have not started yet
// (no client URL). Endpoints that stay keep their order and state; new ones
// are added after them. A list with no usable member is never applied: the
// error matches ErrNoUsableMember and names what the members offered.
//
// Config.AutoSyncInterval runs Sync at an interval.
func (c *Conn) Sync(ctx context.Context) error {
	if err := c.usable(methodMemberList); err != nil {
		return err
	}
	ctx, cancel := c.requestTimeout(ctx, 0)
	defer cancel()
	resp := &pb.MemberListResponse{}
	if err := c.invoke(ctx, methodMemberList, &pb.MemberListRequest{Linearizable: true}, resp, false); err != nil {
		return err
	}
	eps, why := usableEndpoints(resp.Members, c.secure)
	if len(eps) == 0 {
		return &Error{Method: methodMemberList, Code: codes.FailedPrecondition, kind: ErrNoUsableMember,
			Message: ErrNoUsableMember.Error() + " (" + why + "); endpoints left as they were"}
	}
	return c.setEndpoints(merge(c.endpoints(), eps))
}

// usableEndpoints returns the client URLs of the started voting members with
// the connection's scheme, and when there are none, why.
func usableEndpoints(members []*pb.Member, secure bool) ([]endpoint, string) {
	var out []endpoint
	var skipped []string
	seen := map[string]bool{}
	for _, m := range members {
		name := m.Name
		if name == "" {
			name = strconv.FormatUint(m.ID, 16)
		}
		switch {
		case m.IsLearner:
			skipped = append(skipped, name+": learner")
			continue
		case len(m.ClientURLs) == 0:
			skipped = append(skipped, name+": not started")
			continue
		}
		n := len(out)
		for _, u := range m.ClientURLs {
			ep, err := parseEndpoint(u)
			if err != nil || ep.secure != secure || seen[ep.addr] {
				continue
			}
			seen[ep.addr] = true
			out = append(out, ep)
		}
		if len(out) == n {
			skipped = append(skipped, name+": no client URL of the connection's scheme")
		}
	}
	if len(members) == 0 {
		skipped = append(skipped, "the list is empty")
	}
	return out, strings.Join(skipped, ", ")
}

// merge orders next: the current endpoints that stay, in their order, then
// the new ones in the member list's order.
func merge(cur, next []endpoint) []endpoint {
	out := make([]endpoint, 0, len(next))
	for _, ep := range cur {
		if i := slices.IndexFunc(next, func(n endpoint) bool { return n.addr == ep.addr }); i >= 0 {
			out = append(out, next[i])
		}
	}
	for _, ep := range next {
		if !slices.ContainsFunc(out, func(o endpoint) bool { return o.addr == ep.addr }) {
			out = append(out, ep)
		}
	}
	return out
}

// autoSync runs Sync every AutoSyncInterval until the connection closes,
// each within DialTimeout. A failed Sync is logged and leaves the endpoints
// as they were.
func (c *Conn) autoSync() {
	t := time.NewTicker(c.cfg.AutoSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.bgCtx, c.cfg.DialTimeout)
		err := c.Sync(ctx)
		cancel()
		if err != nil && !c.closed.Load() {
			c.cfg.Logger.Warn("getcd: endpoint sync failed", "error", err.Error())
		}
	}
}
