package admintest

import (
	"testing"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
	"github.com/getcd/getcd/rbac"
	"github.com/getcd/getcd/registry"
)

// Every admin package runs by connection name through registry.Call.
func TestByName(t *testing.T) {
	reg := registry.New()
	defer reg.CloseAll()
	ctx := testCtx(t)
	if _, err := reg.Open(ctx, "admin", conn.Config{Endpoints: shared.Endpoints()}); err != nil {
		t.Fatal(err)
	}
	st, err := registry.CallIn(ctx, reg, maintenance.Status, maintenance.On("admin").WithEndpoint(shared.Endpoints()[0]))
	if err != nil {
		t.Fatal(err)
	}
	l, err := registry.CallIn(ctx, reg, membership.List, membership.On("admin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Members) != 1 || l.Members[0].ID != st.Header.MemberID {
		t.Errorf("members %+v, status from %x", l.Members, st.Header.MemberID)
	}
	a, err := registry.CallIn(ctx, reg, rbac.Status, rbac.New().WithConn("admin"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Enabled || a.Header.ClusterID != st.Header.ClusterID {
		t.Errorf("auth status %+v", a)
	}
}
