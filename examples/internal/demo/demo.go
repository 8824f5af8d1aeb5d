// Package demo is the start-up and the test harness that the runnable
// examples share, so that each example's main.go holds its own logic only.
//
// An example is a function that writes what it does to out, using the etcd
// cluster at endpoints:
//
//	func run(ctx context.Context, out io.Writer, endpoints []string) error
//
// Its main function hands it to Main (or Quiet), and its test to Output.
package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getcd/getcd/integration/etcdtest"
)

// Func is an example's body: it uses the etcd cluster at endpoints and
// writes what it does to out.
type Func func(ctx context.Context, out io.Writer, endpoints []string) error

// Main runs an example as a program. It uses the cluster in ETCD_ENDPOINTS
// (comma-separated host:port) if set, and otherwise starts an embedded etcd
// for the run, and says on standard output which of the two it uses. Then it
// calls run with a context that ends after timeout, writing to standard
// output. If anything fails, it prints the error prefixed by name on
// standard error, stops the embedded etcd and exits with status 1.
func Main(name string, timeout time.Duration, run Func) {
	start(name, timeout, true, run)
}

// Quiet is Main without the line saying which etcd is used: for the
// examples whose output is their own report and nothing else.
func Quiet(name string, timeout time.Duration, run Func) {
	start(name, timeout, false, run)
}

func start(name string, timeout time.Duration, announce bool, run Func) {
	server, stop, err := etcdtest.StartShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	defer stop()
	if announce {
		if server.IsExternal() {
			fmt.Println("using ETCD_ENDPOINTS:", server.Endpoints())
		} else {
			fmt.Println("started an embedded etcd at", server.Endpoints()[0], "(set ETCD_ENDPOINTS to use your own cluster)")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := run(ctx, os.Stdout, server.Endpoints()); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		cancel()
		stop()
		os.Exit(1) // skips the deferred calls, hence the explicit ones above
	}
}

// Embedded reports whether Main starts an embedded etcd, that is whether
// ETCD_ENDPOINTS is unset: an example may then write demonstration data
// that it must not write into someone's cluster.
func Embedded() bool {
	_, external := etcdtest.External()
	return !external
}

// Output runs an example in a test on server (see etcdtest.Start) with a
// context that ends after timeout, and returns what it wrote. It fails the
// test, showing the output so far, if run returns an error.
func Output(t testing.TB, server *etcdtest.Server, timeout time.Duration, run Func) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out strings.Builder
	if err := run(ctx, &out, server.Endpoints()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	return out.String()
}

// Contains fails the test, without stopping it, if out lacks any of want,
// naming those it lacks and showing out.
func Contains(t testing.TB, out string, want ...string) {
	t.Helper()
	var lacks []string
	for _, w := range want {
		if !strings.Contains(out, w) {
			lacks = append(lacks, w)
		}
	}
	if len(lacks) > 0 {
		t.Errorf("output lacks %q:\n%s", lacks, out)
	}
}
