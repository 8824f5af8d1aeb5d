package lease

import (
	"container/heap"
	"testing"
	"time"
)

// newTestMux is a mux with no connection: enough for the scheduling, which
// does no I/O. checking is set so that a queued confirmation starts no
// goroutine.
func newTestMux(leases ...*tracked) *mux {
	m := newMux(nil)
	m.checking = true
	for _, t := range leases {
		t.due = t.nextDue()
		m.table[t.id] = t
		heap.Push(&m.heap, t)
	}
	return m
}

func TestScheduleSendsWhatIsDue(t *testing.T) {
	now := time.Now()
	acked := func(id int64, ttl int64, ago time.Duration) *tracked {
		at := now.Add(-ago)
		exp := at.Add(time.Duration(ttl) * time.Second)
		return &tracked{id: id, ttl: ttl, lastAck: at, expires: exp, checkAt: exp, sendAt: at.Add(time.Duration(ttl) * time.Second / 3)}
	}
	m := newTestMux(
		acked(1, 3, 1100*time.Millisecond), // due 100 ms ago
		acked(2, 3, 800*time.Millisecond),  // due in 200 ms: within a quarter of lease 1's interval, so sent with it
		acked(3, 3, 500*time.Millisecond),  // due in 500 ms
		&tracked{id: 4, sendAt: now},       // new, TTL unknown
	)
	sends, next := m.scheduleLocked(now, true, nil)
	if len(sends) != 3 || !containsAll(sends, 1, 2, 4) {
		t.Fatalf("sent %v, want 1, 2 and 4", sends)
	}
	if want := now.Add(500 * time.Millisecond); !next.Equal(want) {
		t.Errorf("next wake-up in %v, want 500ms", next.Sub(now))
	}
	if got := m.table[1].sendAt.Sub(now); got != time.Second {
		t.Errorf("lease 1 resends in %v without an answer, want TTL/3 = 1s", got)
	}
	if got := m.table[4].sendAt.Sub(now); got != firstRetry {
		t.Errorf("lease 4 (TTL unknown) resends in %v, want %v", got, firstRetry)
	}

	// An answer moves the next renewal a third of the TTL past it.
	at := now.Add(5 * time.Millisecond)
	m.table[4].renewed(6, at)
	m.fixLocked(m.table[4])
	if got := m.table[4].sendAt.Sub(at); got != 2*time.Second {
		t.Errorf("after an answer with TTL 6 the next renewal is in %v, want 2s", got)
	}
	if got := m.table[4].checkAt.Sub(at); got != 6*time.Second {
		t.Errorf("after an answer with TTL 6 the deadline is in %v, want 6s", got)
	}
}

func TestScheduleWithoutStream(t *testing.T) {
	now := time.Now()
	exp := now.Add(2 * time.Second)
	m := newTestMux(&tracked{id: 1, ttl: 3, lastAck: now.Add(-time.Second), expires: exp, checkAt: exp, sendAt: now})
	sends, next := m.scheduleLocked(now, false, nil)
	if len(sends) != 0 {
		t.Fatalf("sent %v without a stream", sends)
	}
	if !next.Equal(exp) {
		t.Errorf("next wake-up in %v, want the deadline in 2s", next.Sub(now))
	}
	if !m.table[1].sendAt.Equal(never) {
		t.Errorf("a renewal is scheduled without a stream")
	}
	m.renewAllLocked(now)
	if sends, _ := m.scheduleLocked(now, true, nil); len(sends) != 1 {
		t.Errorf("after the stream opened: sent %v, want lease 1 at once", sends)
	}
}

// TestScheduleConfirms: a lease past its deadline is queued for a
// confirmation once, and its renewals go on meanwhile.
func TestScheduleConfirms(t *testing.T) {
	now := time.Now()
	exp := now.Add(-time.Millisecond)
	m := newTestMux(&tracked{id: 1, ttl: 3, lastAck: exp.Add(-3 * time.Second), expires: exp, checkAt: exp, sendAt: now.Add(time.Second)})
	sends, next := m.scheduleLocked(now, true, nil)
	if len(sends) != 0 || len(m.checkQ) != 1 || !m.table[1].inCheck {
		t.Fatalf("sends %v, check queue %d, inCheck %v; want a confirmation queued and nothing sent", sends, len(m.checkQ), m.table[1].inCheck)
	}
	if want := now.Add(time.Second); !next.Equal(want) {
		t.Errorf("next wake-up in %v, want the renewal in 1s", next.Sub(now))
	}
	later := now.Add(time.Second)
	sends, _ = m.scheduleLocked(later, true, nil)
	if len(sends) != 1 || len(m.checkQ) != 1 {
		t.Errorf("while confirming: sent %v, %d queued; want the renewal sent and no second confirmation", sends, len(m.checkQ))
	}
}

// TestScheduleEnds: a deadline just ahead, within the slack, ends the pass
// instead of spinning.
func TestScheduleEnds(t *testing.T) {
	now := time.Now()
	exp := now.Add(10 * time.Millisecond)
	m := newTestMux(&tracked{id: 1, ttl: 3, lastAck: exp.Add(-3 * time.Second), expires: exp, checkAt: exp, sendAt: now.Add(time.Second)})
	sends, next := m.scheduleLocked(now, true, nil)
	if len(sends) != 0 || len(m.checkQ) != 0 || !next.Equal(exp) {
		t.Errorf("sends %v, %d queued, next in %v; want nothing yet and a wake-up at the deadline", sends, len(m.checkQ), next.Sub(now))
	}
}

func containsAll(s []int64, ids ...int64) bool {
	for _, id := range ids {
		found := false
		for _, v := range s {
			found = found || v == id
		}
		if !found {
			return false
		}
	}
	return true
}
