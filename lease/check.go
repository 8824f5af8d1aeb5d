package lease

import (
	"context"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/connx"
)

// queueCheckLocked queues a confirmation of t: no acknowledgement arrived
// for longer than its TTL, so the server is asked (time-to-live) whether it
// still has the lease before anything is reported.
func (m *mux) queueCheckLocked(t *tracked) {
	t.inCheck = true
	m.checkQ = append(m.checkQ, t)
	if !m.checking {
		m.checking = true
		m.wg.Add(1)
		go m.check()
	}
}

// check confirms the queued leases one at a time. A lease the server no
// longer has is lost; one it still has goes on being renewed; when the
// server cannot be asked, the question is asked again later and nothing is
// reported meanwhile.
func (m *mux) check() {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		t := m.nextCheckLocked(time.Now())
		if t == nil || m.closed {
			m.checking = false
			m.checkQ = nil
			m.mu.Unlock()
			return
		}
		id, ttl := t.id, t.ttl
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout(ttl))
		m.checkCancel = cancel
		m.mu.Unlock()

		start := time.Now()
		resp := &pb.LeaseTimeToLiveResponse{}
		err := m.x.Invoke(ctx, MethodTimeToLive, &pb.LeaseTimeToLiveRequest{ID: id}, resp, connx.Read)
		cancel()
		now := time.Now()

		m.mu.Lock()
		m.checkCancel = nil
		if m.table[id] == t {
			t.inCheck = false
			switch {
			case err != nil:
				t.checkAt = now.Add(checkRetry(ttl))
				m.x.Logger().Debug("lease: cannot confirm a lease that went unacknowledged; asking again", "lease", id, "err", err)
			case resp.TTL < 0:
				// Not found, or expired more than a second ago and about
				// to be revoked: renewing it is impossible either way.
				m.loseLocked(t, now, notFound(context.Background(), m.x, MethodTimeToLive, memberPeer(resp.Header.GetMemberId())))
			case resp.TTL == 0:
				// Less than a second left, or expired less than a second
				// ago (etcd rounds toward zero): a renewal tells which.
				t.checkAt = now.Add(checkRetry(ttl))
				t.sendAt = now
			default:
				// The server still has it: renew at once.
				t.expires = start.Add(time.Duration(resp.TTL) * time.Second)
				t.checkAt = t.expires
				t.sendAt = now
			}
			if t.idx >= 0 {
				m.fixLocked(t)
			}
			m.wake()
		}
		m.mu.Unlock()
	}
}

// nextCheckLocked pops the next lease that still needs a confirmation:
// one that was stopped meanwhile needs none, nor one acknowledged meanwhile.
func (m *mux) nextCheckLocked(now time.Time) *tracked {
	for len(m.checkQ) > 0 {
		t := m.checkQ[0]
		m.checkQ[0] = nil
		m.checkQ = m.checkQ[1:]
		if m.table[t.id] != t {
			continue
		}
		if now.Before(t.expires) {
			t.inCheck = false
			m.fixLocked(t)
			continue
		}
		return t
	}
	return nil
}

// checkTimeout bounds one confirmation: the lease's TTL, within [1s, 5s].
func checkTimeout(ttl int64) time.Duration {
	return min(max(time.Duration(ttl)*time.Second, time.Second), 5*time.Second)
}

// checkRetry is the pause before a confirmation that failed is tried again.
func checkRetry(ttl int64) time.Duration {
	return min(max(time.Duration(ttl)*time.Second/3, 250*time.Millisecond), 2*time.Second)
}
