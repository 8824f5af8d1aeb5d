package main

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDiscovery(t *testing.T) {
	out := demo.Output(t, etcdtest.Start(t), 30*time.Second, run)
	want := `2 instances at start:
  + api-1 at 10.0.0.1:8080
  + api-2 at 10.0.0.2:8080
now serving: api-1, api-2
  + api-3 at 10.0.0.3:8080
now serving: api-1, api-2, api-3
  - api-1 left (was at 10.0.0.1:8080)
now serving: api-2, api-3
  ~ api-2 moved from 10.0.0.2:8080 to 10.0.0.22:8080
now serving: api-2, api-3
api-2 is at 10.0.0.22:8080 (true)`
	if !strings.HasPrefix(out, want) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", out, want)
	}
}
