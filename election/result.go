package election

import (
	"strconv"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
)

// LeaderKey identifies one leadership (one candidate's key): etcd's
// v3electionpb.LeaderKey. Rev, the key's create revision, grows with every
// new leadership of the cluster, so it serves as a fencing token.
type LeaderKey struct {
	Name  string // the election's name
	Key   string // Name + "/" + the lease ID in lowercase hex
	Rev   int64  // the key's create revision
	Lease int64  // the lease the key is attached to
}

// Guard is the condition under which the leadership still holds: the key
// exists with its create revision. Add it to a transaction (op.If) so that
// a write happens only while the leadership lasts.
func (k LeaderKey) Guard() compare.Cond {
	return compare.Key(k.Key).CreateRevision(compare.Equal, k.Rev)
}

// keyOf is a candidate's key: the name, "/" and the lease ID in lowercase
// hex, as etcd's recipe writes it (fmt's %x of the lease ID).
func keyOf(name string, lease int64) string {
	return name + "/" + strconv.FormatInt(lease, 16)
}

// prefixOf is the prefix under which an election's candidates live.
func prefixOf(name string) string { return name + "/" }

// LeaderInfo is who leads an election: the candidate key with the lowest
// create revision under the election's prefix, with the value its holder
// put or proclaimed. A LeaderInfo with an empty KV.Key (Vacant) says that the
// election has no candidate at all; only Observe reports that.
type LeaderInfo struct {
	// Header is the header of the answer that told. In what Observe
	// yields, Header.Revision is the revision at which this became the
	// leader (or its value changed, or the election became vacant).
	Header conn.Header
	// KV is the leader's key.
	KV conn.KeyValue
}

// Vacant reports whether the election had no candidate.
func (l LeaderInfo) Vacant() bool { return len(l.KV.Key) == 0 }

// Value returns the leader's value as a string.
func (l LeaderInfo) Value() string { return string(l.KV.Value) }

// Rev returns the leader key's create revision, the leadership's fencing
// token; 0 when vacant.
func (l LeaderInfo) Rev() int64 { return l.KV.CreateRevision }

// same reports whether l and o show the same leadership with the same
// value: what Observe does not report twice.
func (l LeaderInfo) same(o LeaderInfo) bool {
	return string(l.KV.Key) == string(o.KV.Key) && l.KV.CreateRevision == o.KV.CreateRevision &&
		string(l.KV.Value) == string(o.KV.Value)
}

// ProclaimResponse is the answer to a proclaim.
type ProclaimResponse struct {
	Header conn.Header
}

// ResignResponse is the answer to a resign.
type ResignResponse struct {
	Header conn.Header
	// Resigned says that the key was deleted by this call; false when it
	// was already gone (the leadership had been lost, or resigned before).
	// The server-side Resign does not tell and always reports true.
	Resigned bool
}

// CampaignResponse is the answer of a server-side campaign.
type CampaignResponse struct {
	Header conn.Header
	Leader LeaderKey
}
