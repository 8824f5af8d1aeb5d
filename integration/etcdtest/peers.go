package etcdtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strconv"
	"time"
)

// raftSender names the member that opened a peer connection: etcd's raft
// transport (server/etcdserver/api/rafthttp, util.go createPostRequest and
// stream.go dial) sends an X-Server-From header with the sender's member ID
// in hex on every request, and a connection carries requests of one sender
// only. Requests without it (lease renewals a follower forwards to the
// leader, version and health probes) have no name and are never blocked by
// source; the proxy of the receiving member, when cut, still refuses them.
func raftSender(r *bufio.Reader) string {
	const max = 8 << 10
	for want := 1; want <= max; {
		if _, err := r.Peek(want); err != nil {
			return ""
		}
		b, _ := r.Peek(r.Buffered())
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(b[:i+4])))
			if _, err := tp.ReadLine(); err != nil { // request line
				return ""
			}
			h, err := tp.ReadMIMEHeader()
			if err != nil {
				return ""
			}
			return h.Get("X-Server-From")
		}
		want = len(b) + 1 // wait for more
	}
	return ""
}

// ID returns the member's raft ID, asking the member's own peer port the
// first time.
func (m *Member) ID() (uint64, error) {
	m.mu.Lock()
	id := m.id
	m.mu.Unlock()
	if id != 0 {
		return id, nil
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + m.peerProxy.Target() + "/members")
	if err != nil {
		return 0, fmt.Errorf("etcdtest: member %s: %w", m.Name, err)
	}
	defer resp.Body.Close()
	var members []struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&members); err != nil {
		return 0, fmt.Errorf("etcdtest: member %s: /members: %w", m.Name, err)
	}
	for _, x := range members {
		if x.Name == m.Name {
			m.mu.Lock()
			m.id = x.ID
			m.mu.Unlock()
			return x.ID, nil
		}
	}
	return 0, fmt.Errorf("etcdtest: member %s is not in its own member list", m.Name)
}

// IsolatePeers cuts m off from the other members while its client port stays
// reachable: its peer proxy refuses every connection, and the other
// members' peer proxies refuse the connections m opens. The member loses its
// leader (or its followers) within an election timeout. HealPeers undoes it.
func (c *Cluster) IsolatePeers(m *Member) error {
	id, err := m.ID()
	if err != nil {
		return err
	}
	src := strconv.FormatUint(id, 16)
	m.peerProxy.Cut()
	for _, o := range c.Members {
		if o != m {
			o.peerProxy.BlockSource(src)
		}
	}
	return nil
}

// HealPeers lets m reach the other members again.
func (c *Cluster) HealPeers(m *Member) error {
	id, err := m.ID()
	if err != nil {
		return err
	}
	src := strconv.FormatUint(id, 16)
	m.peerProxy.Heal()
	for _, o := range c.Members {
		if o != m {
			o.peerProxy.UnblockSource(src)
		}
	}
	return nil
}

// DataDir returns the member's etcd data directory (its WAL and snapshots
// are under member/), for tests that read what it persisted once it
// stopped.
func (m *Member) DataDir() string { return filepath.Join(m.dir, "data") }
