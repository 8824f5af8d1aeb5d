package admintest

import (
	"errors"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/integration/etcdtest"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
)

func TestMemberList(t *testing.T) {
	c := open(t, conn.Config{})
	ctx := testCtx(t)
	st, err := maintenance.Status(ctx, c, maintenance.New())
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []membership.Request{membership.New(), membership.New().WithLinearizable()} {
		l, err := membership.List(ctx, c, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Members) != 1 {
			t.Fatalf("members %+v, want one", l.Members)
		}
		m := l.Members[0]
		if m.ID != st.Header.MemberID || !m.Started() || m.IsLearner || len(m.PeerURLs) != 1 ||
			!slices.Contains(m.ClientURLs, shared.ClientURL()) || l.Header.ClusterID != st.Header.ClusterID {
			t.Errorf("member %+v, header %+v; status %+v", m, l.Header, st.Header)
		}
	}
}

// Errors from etcd for members that do not exist or are not learners are
// typed and say the write was not applied.
func TestMemberErrors(t *testing.T) {
	c := open(t, conn.Config{})
	ctx := testCtx(t)
	l, err := membership.List(ctx, c, membership.New())
	if err != nil {
		t.Fatal(err)
	}
	self := l.Members[0]
	const unknown = 0xdeadbeef
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"remove unknown", func() error { _, err := membership.Remove(ctx, c, membership.New().WithID(unknown)); return err }, conn.ErrMemberNotFound},
		{"promote unknown", func() error { _, err := membership.Promote(ctx, c, membership.New().WithID(unknown)); return err }, conn.ErrMemberNotFound},
		{"update unknown", func() error {
			_, err := membership.Update(ctx, c, membership.New().WithID(unknown).WithPeerURLs("http://127.0.0.1:1"))
			return err
		}, conn.ErrMemberNotFound},
		{"promote a voting member", func() error { _, err := membership.Promote(ctx, c, membership.New().WithID(self.ID)); return err }, conn.ErrMemberNotLearner},
		{"add an existing peer URL", func() error {
			_, err := membership.Add(ctx, c, membership.New().WithPeerURLs(self.PeerURLs...).AsLearner())
			return err
		}, conn.ErrPeerURLExist},
	} {
		err := tc.call()
		if !errors.Is(err, tc.want) || errors.Is(err, conn.ErrUnknownOutcome) {
			t.Errorf("%s: %v, want %v with a known outcome", tc.name, err, tc.want)
		}
	}
	after, err := membership.List(ctx, c, membership.New())
	if err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff(l.Members, after.Members); d != "" {
		t.Errorf("members changed (-before +after):\n%s", d)
	}
}

// Bad input is rejected before anything is sent, and the cluster is left
// as it was.
func TestMemberBadInput(t *testing.T) {
	counter := newCounter()
	c := open(t, conn.Config{DialOptions: []grpc.DialOption{counter.option()}})
	ctx := testCtx(t)
	before, err := membership.List(ctx, c, membership.New())
	if err != nil {
		t.Fatal(err)
	}
	sent, _ := counter.count("")
	for _, tc := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"add with an empty peer URL", func() error { _, err := membership.Add(ctx, c, membership.New().WithPeerURLs("")); return err }, "peer_urls[0]"},
		{"add without peer URLs", func() error { _, err := membership.Add(ctx, c, membership.New().AsLearner()); return err }, "peer_urls"},
		{"update with an empty peer URL", func() error {
			_, err := membership.Update(ctx, c, membership.New().WithID(before.Members[0].ID).WithPeerURLs("http://127.0.0.1:1", ""))
			return err
		}, "peer_urls[1]"},
		// Once gRPC picked a member it cannot encode a string that is
		// not UTF-8; that failure was a write of unknown outcome.
		{"add with a peer URL not in UTF-8", func() error {
			_, err := membership.Add(ctx, c, membership.New().WithPeerURLs("http://h\xff:2380"))
			return err
		}, "peer_urls[0]"},
		{"remove without an ID", func() error { _, err := membership.Remove(ctx, c, membership.New()); return err }, "id"},
		{"promote ID 0", func() error { _, err := membership.Promote(ctx, c, membership.New().WithID(0)); return err }, "id"},
	} {
		err := tc.call()
		var fe *kv.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a *kv.FieldError on %s", tc.name, err, tc.field)
		}
	}
	if n, _ := counter.count(""); n != sent {
		t.Errorf("%d RPCs were sent for invalid requests", n-sent)
	}
	after, err := membership.List(ctx, c, membership.New())
	if err != nil {
		t.Fatal(err)
	}
	if d := gocmp.Diff(before.Members, after.Members); d != "" {
		t.Errorf("members changed (-before +after):\n%s", d)
	}
}

// Update replaces a member's peer URLs (on a single-member server of its
// own, which has no peer to lose).
func TestMemberUpdate(t *testing.T) {
	s := etcdtest.Start(t, etcdtest.WithDedicated())
	c := open(t, conn.Config{Endpoints: s.Endpoints()})
	ctx := testCtx(t)
	l, err := membership.List(ctx, c, membership.New())
	if err != nil {
		t.Fatal(err)
	}
	id := l.Members[0].ID
	urls := []string{"http://127.0.0.1:1", "http://127.0.0.2:1"}
	u, err := membership.Update(ctx, c, membership.New().WithID(id).WithPeerURLs(urls...))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Members) != 1 || !slices.Equal(u.Members[0].PeerURLs, urls) {
		t.Errorf("after update: %+v, want peer URLs %v", u.Members, urls)
	}
	eventually(t, ctx, "the listed peer URLs follow the update", func() bool {
		l, err := membership.List(ctx, c, membership.New().WithLinearizable())
		return err == nil && len(l.Members) == 1 && slices.Equal(l.Members[0].PeerURLs, urls)
	})
}
