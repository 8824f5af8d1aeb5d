package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuickstart(t *testing.T) {
	out := demo.Output(t, etcdtest.Start(t), 30*time.Second, run)
	demo.Contains(t, out,
		"put quickstart/config/mode=fast",
		"sorted by key, descending: 3 keys\n  quickstart/config/size = 10",
		"  quickstart/config/color = blue",
		"succeeded=true",
		"same CAS again with the stale revision: succeeded=false, current value 20",
		"lookup \"quickstart\": 3 keys",
		"| quickstart |",
		"deleted 3 keys under quickstart/config/",
	)
}
