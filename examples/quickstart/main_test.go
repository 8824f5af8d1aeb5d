package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/getcd/getcd/integration/etcdtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuickstart(t *testing.T) {
	server, stop, err := etcdtest.StartShared()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := run(ctx, &out, server.Endpoints()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"put quickstart/config/mode=fast",
		"sorted by key, descending: 3 keys\n  quickstart/config/size = 10",
		"  quickstart/config/color = blue",
		"succeeded=true",
		"same CAS again with the stale revision: succeeded=false, current value 20",
		"lookup \"quickstart\": 3 keys",
		"| quickstart |",
		"deleted 3 keys under quickstart/config/",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
