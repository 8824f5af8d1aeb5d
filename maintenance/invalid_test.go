package maintenance_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/maintenance"
)

// calls runs each call by name; the connection is nil, so anything that
// passes validation fails with conn.ErrClosed instead of being sent.
var calls = map[string]func(context.Context, *conn.Conn, maintenance.Request) (any, error){
	"status": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Status(c, x, r)
	},
	"defragment": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Defragment(c, x, r)
	},
	"hash_kv": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.HashKV(c, x, r)
	},
	"hash": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Hash(c, x, r)
	},
	"alarm_list": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Alarms(c, x, r)
	},
	"alarm_disarm": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Disarm(c, x, r)
	},
	"alarm_disarm_all": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.DisarmAll(c, x, r)
	},
	"move_leader": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.MoveLeader(c, x, r)
	},
	"downgrade_validate": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.DowngradeValidate(c, x, r)
	},
	"downgrade_enable": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.DowngradeEnable(c, x, r)
	},
	"downgrade_cancel": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.DowngradeCancel(c, x, r)
	},
	"snapshot": func(c context.Context, x *conn.Conn, r maintenance.Request) (any, error) {
		return maintenance.Snapshot(c, x, r)
	},
}

func TestInvalid(t *testing.T) {
	m := maintenance.New()
	var buf bytes.Buffer
	for _, tc := range []struct {
		name, call string
		req        maintenance.Request
		field      string
	}{
		{"status with a revision", "status", m.WithRev(3), "revision"},
		{"status with a target", "status", m.WithTarget(3), "target_id"},
		{"status with a bad endpoint", "status", m.WithEndpoint("nohost"), "endpoint"},
		{"status with an empty endpoint", "status", m.WithEndpoint(""), "endpoint"},
		{"status with a path", "status", m.WithEndpoint("http://h:1/x"), "endpoint"},
		{"status with a bad scheme", "status", m.WithEndpoint("unix://h:1"), "endpoint"},
		{"status with port 0", "status", m.WithEndpoint("h:0"), "endpoint"},
		{"defragment with a writer", "defragment", m.WithWriter(&buf), "writer"},
		{"hash kv negative revision", "hash_kv", m.WithRev(-1), "revision"},
		{"hash with a revision", "hash", m.WithRev(1), "revision"},
		{"alarm list with an endpoint", "alarm_list", m.WithEndpoint("h:1"), "endpoint"},
		{"disarm without alarm", "alarm_disarm", m, "alarm"},
		{"disarm member 0", "alarm_disarm", m.WithAlarm(0, maintenance.AlarmNoSpace), "member_id"},
		{"disarm type none", "alarm_disarm", m.WithAlarm(1, 0), "alarm"},
		{"disarm unknown type", "alarm_disarm", m.WithAlarm(1, 7), "alarm"},
		{"disarm all with an alarm", "alarm_disarm_all", m.WithAlarm(1, maintenance.AlarmNoSpace), "alarm"},
		{"move leader without target", "move_leader", m, "target_id"},
		// The file would be renamed onto a directory only after the whole
		// snapshot arrived, and fail then.
		{"snapshot to a directory", "snapshot", m.WithFile(os.TempDir()), "file"},
		{"snapshot to a path ending in a separator", "snapshot", m.WithFile("backups" + string(os.PathSeparator)), "file"},
		{"move leader to 0", "move_leader", m.WithTarget(0), "target_id"},
		{"move leader with a revision", "move_leader", m.WithTarget(1).WithRev(2), "revision"},
		{"validate without version", "downgrade_validate", m, "version"},
		{"enable with v prefix", "downgrade_enable", m.WithVersion("v3.6"), "version"},
		{"enable with major only", "downgrade_enable", m.WithVersion("3"), "version"},
		{"enable with a number past int64", "downgrade_enable", m.WithVersion("3.99999999999999999999"), "version"},
		{"enable with four numbers", "downgrade_enable", m.WithVersion("3.6.0.1"), "version"},
		{"enable with a pre-release on major.minor", "downgrade_enable", m.WithVersion("3.6-rc.0"), "version"},
		{"enable with an empty pre-release identifier", "downgrade_enable", m.WithVersion("3.6.0-rc..0"), "version"},
		{"validate with a space", "downgrade_validate", m.WithVersion("3.6 "), "version"},
		{"cancel with a version", "downgrade_cancel", m.WithVersion("3.6"), "version"},
		{"snapshot without writer", "snapshot", m, "writer"},
		{"snapshot with writer and file", "snapshot", m.WithWriter(&buf).WithFile("x"), "writer"},
		{"snapshot with nil writer", "snapshot", m.WithWriter(nil), "writer"},
		{"snapshot with empty file", "snapshot", m.WithFile(""), "file"},
		{"snapshot with a revision", "snapshot", m.WithFile("x").WithRev(1), "revision"},
		{"negative timeout", "status", m.WithTimeout(-time.Second), "timeout"},
		{"progress on status", "status", m.WithProgress(func(maintenance.Progress) {}), "progress"},
	} {
		out, err := calls[tc.call](context.Background(), nil, tc.req)
		var fe *kv.FieldError
		if !errors.Is(err, kv.ErrInvalidRequest) || !errors.As(err, &fe) {
			t.Errorf("%s: err = %v, want a *kv.FieldError", tc.name, err)
			continue
		}
		if fe.Pkg != "maintenance" || fe.Req != tc.call || fe.Field != tc.field || fe.Reason == "" {
			t.Errorf("%s: %+v, want maintenance/%s/%s with a reason", tc.name, *fe, tc.call, tc.field)
		}
		if out == nil {
			t.Errorf("%s: no typed result", tc.name)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("something was written: %q", buf.Bytes())
	}
}

// Valid requests get past validation: on a nil connection they fail with
// conn.ErrClosed, which shows nothing was rejected as invalid.
func TestValid(t *testing.T) {
	m := maintenance.On("main").WithTimeout(time.Second)
	var buf bytes.Buffer
	for call, req := range map[string]maintenance.Request{
		"status":             m.WithEndpoint("http://127.0.0.1:2379"),
		"defragment":         m.WithEndpoint("[::1]:2379"),
		"hash_kv":            m.WithRev(5).WithEndpoint("https://etcd-0.example:2379/"),
		"hash":               m,
		"alarm_list":         m,
		"alarm_disarm":       m.WithAlarm(1, maintenance.AlarmCorrupt),
		"alarm_disarm_all":   m,
		"move_leader":        m.WithTarget(9),
		"downgrade_validate": m.WithVersion("3.6"),
		"downgrade_enable":   m.WithVersion("3.6.0-rc.0+build.7"),
		"downgrade_cancel":   m,
		"snapshot":           m.WithWriter(&buf).WithProgress(func(maintenance.Progress) {}),
	} {
		if _, err := calls[call](context.Background(), nil, req); !errors.Is(err, conn.ErrClosed) {
			t.Errorf("%s: err = %v, want conn.ErrClosed", call, err)
		}
	}
}
