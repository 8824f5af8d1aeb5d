package membership

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
)

// Member is one member of the cluster as etcd lists it.
type Member struct {
	ID         uint64   // the member's ID, for Remove, Update and Promote
	Name       string   // empty until the member has started
	PeerURLs   []string // where the other members reach it
	ClientURLs []string // where clients reach it; empty until it has started
	IsLearner  bool     // a raft learner: no vote, serves no client request but Status and serializable reads
}

// Started reports whether the member has started and published its name and
// client URLs. A member that was added but has not joined yet has not.
func (m Member) Started() bool { return m.Name != "" || len(m.ClientURLs) > 0 }

// MembersResponse is the answer to List, Remove, Update and Promote: the
// cluster's members after the call.
type MembersResponse struct {
	Header  conn.Header
	Members []Member
}

// AddResponse is the answer to Add: the new member and every member after
// the addition.
type AddResponse struct {
	Header  conn.Header
	Member  Member // the added member; its ID is needed to start, promote or remove it
	Members []Member
}

func memberOf(m *pb.Member) Member {
	if m == nil {
		return Member{}
	}
	return Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}

func membersOf(in []*pb.Member) []Member {
	if len(in) == 0 {
		return nil
	}
	out := make([]Member, len(in))
	for i, m := range in {
		out[i] = memberOf(m)
	}
	return out
}
