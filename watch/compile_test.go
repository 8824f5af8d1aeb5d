package watch_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/watch"
)

// TestCreateRequest pins the message every option compiles to.
func TestCreateRequest(t *testing.T) {
	noput := []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NOPUT}
	nodel := []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NODELETE}
	for _, tc := range []struct {
		name string
		r    watch.Request
		want *pb.WatchCreateRequest
	}{
		{"key", watch.New().WithKey("a"), &pb.WatchCreateRequest{Key: b("a")}},
		{"Key", watch.Key("a"), &pb.WatchCreateRequest{Key: b("a")}},
		{"key bytes", watch.New().WithKeyBytes([]byte{0, 0xff}), &pb.WatchCreateRequest{Key: []byte{0, 0xff}}},
		{"prefix", watch.New().WithKey("svc/").WithPrefix(), &pb.WatchCreateRequest{Key: b("svc/"), RangeEnd: b("svc0")}},
		{"Prefix", watch.Prefix("svc/"), &pb.WatchCreateRequest{Key: b("svc/"), RangeEnd: b("svc0")}},
		{"prefix ff", watch.Prefix("a\xff"), &pb.WatchCreateRequest{Key: b("a\xff"), RangeEnd: b("b")}},
		{"prefix all ff", watch.Prefix("\xff\xff"), &pb.WatchCreateRequest{Key: b("\xff\xff"), RangeEnd: b("\x00")}},
		{"empty prefix", watch.Prefix(""), &pb.WatchCreateRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"all", watch.New().WithAll(), &pb.WatchCreateRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"from key", watch.Key("m").WithFromKey(), &pb.WatchCreateRequest{Key: b("m"), RangeEnd: b("\x00")}},
		{"empty from key", watch.New().WithFromKey(), &pb.WatchCreateRequest{Key: b("\x00"), RangeEnd: b("\x00")}},
		{"range end", watch.Key("a").WithRangeEnd("c"), &pb.WatchCreateRequest{Key: b("a"), RangeEnd: b("c")}},
		{"range end to the end", watch.Key("a").WithRangeEnd("\x00"), &pb.WatchCreateRequest{Key: b("a"), RangeEnd: b("\x00")}},
		{"start revision", watch.Key("a").WithStartRevision(42), &pb.WatchCreateRequest{Key: b("a"), StartRevision: 42}},
		{"start revision zero", watch.Key("a").WithStartRevision(0), &pb.WatchCreateRequest{Key: b("a")}},
		{"filter put", watch.Key("a").WithFilterPut(), &pb.WatchCreateRequest{Key: b("a"), Filters: noput}},
		{"filter delete", watch.Key("a").WithFilterDelete(), &pb.WatchCreateRequest{Key: b("a"), Filters: nodel}},
		{"prev kv", watch.Key("a").WithPrevKV(), &pb.WatchCreateRequest{Key: b("a"), PrevKv: true}},
		{"watch id", watch.Key("a").WithWatchID(7), &pb.WatchCreateRequest{Key: b("a"), WatchId: 7}},
		{"fragment", watch.Key("a").WithFragment(), &pb.WatchCreateRequest{Key: b("a"), Fragment: true}},
		{"progress notify", watch.Key("a").WithProgressNotify(), &pb.WatchCreateRequest{Key: b("a"), ProgressNotify: true}},
		{"client-side options", watch.On("main").WithKey("a").WithCreatedNotify().WithoutRequireLeader().WithBuffer(10),
			&pb.WatchCreateRequest{Key: b("a")}},
		{"everything", watch.On("main").WithKey("svc/").WithPrefix().WithStartRevision(9).WithFilterDelete().
			WithPrevKV().WithWatchID(3).WithFragment().WithProgressNotify().WithCreatedNotify(),
			&pb.WatchCreateRequest{Key: b("svc/"), RangeEnd: b("svc0"), StartRevision: 9, Filters: nodel,
				PrevKv: true, WatchId: 3, Fragment: true, ProgressNotify: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.CreateRequest()
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tc.want, got)
		})
	}
}

// TestCreateRequestFresh checks that each compile returns a message of its
// own: writing one leaves the builder and the next compile alone.
func TestCreateRequestFresh(t *testing.T) {
	r := watch.Prefix("svc/").WithFilterPut()
	m1, _ := r.CreateRequest()
	m1.Key[0] = 'X'
	m1.RangeEnd[0] = 'X'
	m1.Filters[0] = pb.WatchCreateRequest_NODELETE
	m2, _ := r.CreateRequest()
	diff(t, &pb.WatchCreateRequest{Key: b("svc/"), RangeEnd: b("svc0"), Filters: []pb.WatchCreateRequest_FilterType{pb.WatchCreateRequest_NOPUT}}, m2)
}

// TestAccessors covers the getters.
func TestAccessors(t *testing.T) {
	r := watch.On("main").WithKey("k").WithStartRevision(5)
	if r.Conn() != "main" || r.Key() != "k" || r.StartRevision() != 5 || !r.RequiresLeader() {
		t.Errorf("accessors of %+v: %q %q %d %v", r, r.Conn(), r.Key(), r.StartRevision(), r.RequiresLeader())
	}
	if r.WithConn("other").Conn() != "other" || r.WithoutRequireLeader().RequiresLeader() {
		t.Error("WithConn or WithoutRequireLeader not recorded")
	}
}
