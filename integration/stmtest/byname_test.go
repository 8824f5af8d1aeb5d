package stmtest

import (
	"context"
	"testing"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/registry"
	"github.com/getcd/getcd/stm"
)

// TestByName runs a transaction on a named connection through
// registry.Call's generic mechanism: stm.Run is an ordinary call of the
// shape func(ctx, *conn.Conn, req) (resp, error).
func TestByName(t *testing.T) {
	ctx := testCtx(t)
	reg := registry.New()
	defer reg.CloseAll()
	if _, err := reg.Open(ctx, "stm-byname", conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	k := prefix(t) + "owner"
	claim := stm.On("stm-byname", func(ctx context.Context, tx *stm.Tx) error {
		_, taken, err := tx.Lookup(ctx, k)
		if err != nil || taken {
			return err
		}
		tx.Put(k, "me")
		return nil
	})
	res, err := registry.CallIn(ctx, reg, stm.Run, claim)
	if err != nil || !res.Committed || res.Revision == 0 || res.Header.Revision != res.Revision {
		t.Fatalf("by name: %+v, %v; want a commit with its revision", res, err)
	}
	if v, _ := value(t, open(t), k); v != "me" {
		t.Errorf("%s = %q", k, v)
	}
	// Run again: the key is taken, so nothing is written and no commit is
	// needed (a snapshot read that wrote nothing).
	res, err = registry.CallIn(ctx, reg, stm.Run, claim)
	if err != nil || !res.Committed || res.Header != (conn.Header{}) {
		t.Errorf("second claim: %+v, %v; want a read-only success without a commit", res, err)
	}
}
