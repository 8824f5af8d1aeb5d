package healthtest

import (
	"errors"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
)

// On three processes, a connection whose only call is a watch has it on a
// member whose two peers are then killed: the member loses its leader, and
// the members still in rotation (never refused anything) are down. The
// connection takes the member out of rotation, but it must not close its
// network connections to it: there is nowhere else for the watch to go,
// and the cluster may come back. The watch stream ends as etcd ends it,
// for lack of a leader, not because the connection closed it.
func TestQuorumLostKeepsConns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of etcd processes")
	}
	lw := startLoneWatch(t)
	cl, ctx, c, ends, victim := lw.cl, lw.ctx, lw.c, lw.ends, lw.member
	vm := cl.Members[victim]
	killAt := time.Now()
	for i, m := range cl.Members {
		if i != victim {
			m.Kill()
		}
	}
	eventually(t, ctx, "the member left alone is out of rotation", func() bool {
		st, _ := statusOf(c, vm.Endpoint())
		return st.OutOfRotation
	})
	eventually(t, ctx, "the watch stream on the member left alone ended", func() bool {
		return len(ends.after(killAt)) > 0
	})
	ended := ends.after(killAt)[0]
	t.Logf("peers killed at 0: the watch stream ended %v later (%v)", ended.at.Sub(killAt).Round(time.Millisecond), ended.err)
	if !errors.Is(ended.err, conn.ErrNoLeader) {
		t.Errorf("the watch stream on the member left alone ended with %v, want etcd's ErrNoLeader: the connection closed it with nowhere else to go", ended.err)
	}
}
