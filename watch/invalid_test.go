package watch_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/watch"
)

// invalid lists requests etcd would reject or that make no sense, with the
// field the error must name.
var invalid = []struct {
	name  string
	r     watch.Request
	field string
}{
	{"no key", watch.New(), "key"},
	{"empty key", watch.Key(""), "key"},
	{"prefix and from key", watch.Key("a").WithPrefix().WithFromKey(), "range_end"},
	{"prefix and range end", watch.Key("a").WithPrefix().WithRangeEnd("b"), "range_end"},
	{"all and prefix", watch.New().WithAll().WithPrefix(), "range_end"},
	{"all with a key", watch.Key("a").WithAll(), "key"},
	{"range end before key", watch.Key("b").WithRangeEnd("a"), "range_end"},
	{"range end equal to key", watch.Key("b").WithRangeEnd("b"), "range_end"},
	{"empty range end", watch.Key("b").WithRangeEnd(""), "range_end"},
	{"range without key", watch.New().WithRangeEnd("b"), "key"},
	{"negative start revision", watch.Key("a").WithStartRevision(-1), "start_revision"},
	{"both filters", watch.Key("a").WithFilterPut().WithFilterDelete(), "filters"},
	{"negative watch id", watch.Key("a").WithWatchID(-1), "watch_id"},
	{"negative buffer", watch.Key("a").WithBuffer(-5), "buffer"},
	{"page size on a watch", watch.Prefix("a").WithPageSize(10), "page_size"},
}

// invalidMirror lists requests a mirror rejects.
var invalidMirror = []struct {
	name  string
	r     watch.Request
	field string
}{
	{"start revision", watch.Prefix("a").WithStartRevision(3), "start_revision"},
	{"filter put", watch.Prefix("a").WithFilterPut(), "filters"},
	{"filter delete", watch.Prefix("a").WithFilterDelete(), "filters"},
	{"prev kv", watch.Prefix("a").WithPrevKV(), "prev_kv"},
	{"watch id", watch.Prefix("a").WithWatchID(1), "watch_id"},
	{"progress notify", watch.Prefix("a").WithProgressNotify(), "progress_notify"},
	{"created notify", watch.Prefix("a").WithCreatedNotify(), "created_notify"},
	{"negative page size", watch.Prefix("a").WithPageSize(-1), "page_size"},
	{"negative buffer", watch.Prefix("a").WithBuffer(-1), "buffer"},
	{"two ranges", watch.Prefix("a").WithFromKey(), "range_end"},
	{"no key", watch.New(), "key"},
}

func checkField(t *testing.T, err error, kind, field string) {
	t.Helper()
	if !errors.Is(err, kv.ErrInvalidRequest) {
		t.Fatalf("error %v does not match kv.ErrInvalidRequest", err)
	}
	var fe *kv.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T is not a *kv.FieldError", err)
	}
	if fe.Pkg != "watch" || fe.Req != kind || fe.Field != field {
		t.Errorf("error %q names %s/%s/%s, want watch/%s/%s", err, fe.Pkg, fe.Req, fe.Field, kind, field)
	}
	if !strings.HasPrefix(err.Error(), "watch: ") {
		t.Errorf("error %q does not start with the package name", err)
	}
}

// TestInvalid checks that every invalid request fails to compile, and that
// Open and OpenMirror refuse it before touching the connection (here a nil
// one, which would fail differently).
func TestInvalid(t *testing.T) {
	ctx := context.Background()
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.r.CreateRequest()
			if m != nil {
				t.Errorf("got a message %v with the error", m)
			}
			checkField(t, err, "watch", tc.field)
			w, err := watch.Open(ctx, nil, tc.r)
			if w != nil {
				t.Error("Open returned a watcher")
			}
			checkField(t, err, "watch", tc.field)
		})
	}
	for _, tc := range invalidMirror {
		t.Run("mirror "+tc.name, func(t *testing.T) {
			m, err := watch.OpenMirror(ctx, nil, tc.r)
			if m != nil {
				t.Error("OpenMirror returned a mirror")
			}
			checkField(t, err, "mirror", tc.field)
		})
	}
}

// TestNotAConnection checks that a valid request on a nil connection fails
// with conn.ErrClosed instead of panicking.
func TestNotAConnection(t *testing.T) {
	ctx := context.Background()
	if _, err := watch.Open(ctx, nil, watch.Key("a")); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("Open on nil: %v, want conn.ErrClosed", err)
	}
	if _, err := watch.Open(ctx, &conn.Conn{}, watch.Key("a")); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("Open on a zero Conn: %v, want conn.ErrClosed", err)
	}
	if _, err := watch.OpenMirror(ctx, nil, watch.Prefix("a")); !errors.Is(err, conn.ErrClosed) {
		t.Errorf("OpenMirror on nil: %v, want conn.ErrClosed", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := watch.Open(done, nil, watch.Key("a")); !errors.Is(err, context.Canceled) && !errors.Is(err, conn.ErrClosed) {
		t.Errorf("Open with an ended context: %v", err)
	}
}
