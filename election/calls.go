package election

import (
	"context"
	"strconv"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/op"
)

// Proclaim puts a new value in the leader key r names
// (election.Of(k).WithValue(v)), guarded by its create revision, so that
// observers see the new value without a new election. If the leadership
// was lost nothing is written and the error is a *LostError (ErrLost). It
// is a write: a failure whose fate is unknown matches conn.ErrUnknownOutcome.
func Proclaim(ctx context.Context, c *conn.Conn, r Request) (*ProclaimResponse, error) {
	if err := r.checkLeader("proclaim", proclaimOpts); err != nil {
		return nil, err
	}
	k := r.leader
	txn := op.If(k.Guard()).
		Then(op.Put(kv.New().WithKey(k.Key).WithValue(r.value).WithLease(k.Lease))).
		WithTimeout(r.timeout)
	resp, err := c.Txn(ctx, txn)
	if err != nil {
		return nil, err
	}
	if !resp.Succeeded {
		return nil, &LostError{Key: k}
	}
	return &ProclaimResponse{Header: resp.Header}, nil
}

// Resign deletes the leader key r names (election.Of(k)), guarded by its
// create revision, so that the next candidate takes over. Resigning a
// leadership that is already gone is no error (Resigned is false). It is a
// write: a failure whose fate is unknown matches conn.ErrUnknownOutcome. A
// Leadership's own Resign also ends the handle.
func Resign(ctx context.Context, c *conn.Conn, r Request) (*ResignResponse, error) {
	if err := r.checkLeader("resign", resignOpts); err != nil {
		return nil, err
	}
	k := r.leader
	resp, err := c.Txn(ctx, op.If(k.Guard()).Then(op.Delete(kv.New().WithKey(k.Key))).WithTimeout(r.timeout))
	if err != nil {
		return nil, err
	}
	return &ResignResponse{Header: resp.Header, Resigned: resp.Succeeded}, nil
}

// Leader reads who leads the election r names (election.Name("jobs")): the
// key under name + "/" with the lowest create revision. An election
// without a candidate fails with an error matching ErrVacant.
func Leader(ctx context.Context, c *conn.Conn, r Request) (*LeaderInfo, error) {
	if err := r.checkName("leader", leaderOpts); err != nil {
		return nil, err
	}
	g, err := c.Get(ctx, kv.New().WithKey(prefixOf(r.name)).WithFirstCreate().WithTimeout(r.timeout))
	if err != nil {
		return nil, err
	}
	if len(g.KVs) == 0 {
		return nil, vacant(r.name)
	}
	return &LeaderInfo{Header: g.Header, KV: g.KVs[0]}, nil
}

// vacantError is ErrVacant naming the election.
type vacantError struct{ name string }

func (e vacantError) Error() string        { return "election: no leader in " + strconv.Quote(e.name) }
func (e vacantError) Is(target error) bool { return target == ErrVacant }

func vacant(name string) error { return vacantError{name} }

// usable fails like every call on a closed or nil connection.
func usable(c *conn.Conn) error {
	_, err := connx.Get(c)
	return err
}
