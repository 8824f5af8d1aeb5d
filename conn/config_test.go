package conn

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Endpoints: []string{"127.0.0.1:2379"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for name, tc := range map[string]struct {
		cfg   Config
		field string
	}{
		"no endpoints":       {Config{}, "Endpoints"},
		"bad endpoint":       {Config{Endpoints: []string{"nope"}}, "Endpoints"},
		"negative dial":      {Config{Endpoints: ok.Endpoints, DialTimeout: -time.Second}, "DialTimeout"},
		"negative request":   {Config{Endpoints: ok.Endpoints, RequestTimeout: -time.Second}, "RequestTimeout"},
		"keepalive < 5s":     {Config{Endpoints: ok.Endpoints, KeepAliveTime: time.Second}, "KeepAliveTime"},
		"negative send":      {Config{Endpoints: ok.Endpoints, MaxCallSendMsgSize: -1}, "MaxCallSendMsgSize"},
		"negative recv":      {Config{Endpoints: ok.Endpoints, MaxCallRecvMsgSize: -1}, "MaxCallRecvMsgSize"},
		"password no user":   {Config{Endpoints: ok.Endpoints, Password: "x"}, "Username"},
		"user not UTF-8":     {Config{Endpoints: ok.Endpoints, Username: "r\xffoot", Password: "x"}, "Username"},
		"password not UTF-8": {Config{Endpoints: ok.Endpoints, Username: "root", Password: "p\xe9"}, "Password"},
		"backoff order":      {Config{Endpoints: ok.Endpoints, BackoffBase: time.Second, BackoffMax: time.Millisecond}, "BackoffBase"},
		"negative sync":      {Config{Endpoints: ok.Endpoints, AutoSyncInterval: -time.Second}, "AutoSyncInterval"},
		"negative probe":     {Config{Endpoints: ok.Endpoints, ProbeInterval: -time.Second}, "ProbeInterval"},
		"nil dial option":    {Config{Endpoints: ok.Endpoints, DialOptions: []grpc.DialOption{nil}}, "DialOptions"},
	} {
		err := tc.cfg.Validate()
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidConfig", name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) || !strings.HasPrefix(err.Error(), "conn: ") {
			t.Errorf("%s: error %q does not name %s", name, err, tc.field)
		}
	}
}

// Config values print without the password, while Conn.Config returns it so
// that it can be given back to New.
func TestConfigStringHidesPassword(t *testing.T) {
	cfg := Config{Endpoints: []string{"a:1"}, Username: "alice", Password: "s3cret"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String()} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password shown: %s", s)
		}
	}
	if !strings.Contains(cfg.String(), "alice") || cfg.Password != "s3cret" {
		t.Errorf("String() = %s; the value itself must keep the password", cfg)
	}
	var ce *ConfigError
	if err := (Config{}).Validate(); !errors.As(err, &ce) || ce.Field != "Endpoints" || status.Code(err) != codes.InvalidArgument {
		t.Errorf("Validate() = %v, want a *ConfigError naming Endpoints, InvalidArgument", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Endpoints: []string{"a:1"}}.withDefaults()
	if c.DialTimeout != DefaultDialTimeout || c.RequestTimeout != 0 ||
		c.KeepAliveTime != DefaultKeepAliveTime || c.KeepAliveTimeout != DefaultKeepAliveTimeout ||
		c.MaxCallSendMsgSize != DefaultMaxCallSendMsgSize || c.MaxCallRecvMsgSize != DefaultMaxCallRecvMsgSize ||
		c.BackoffBase != DefaultBackoffBase || c.BackoffMax != DefaultBackoffMax || c.Logger == nil {
		t.Errorf("withDefaults left a zero: %+v", c)
	}
	custom := Config{Endpoints: []string{"a:1"}, DialTimeout: time.Second, RequestTimeout: time.Minute}.withDefaults()
	if custom.DialTimeout != time.Second || custom.RequestTimeout != time.Minute {
		t.Errorf("withDefaults overrode explicit values: %+v", custom)
	}
}
