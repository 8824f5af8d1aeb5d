// Command bench compares getcd with the official etcd Go client and with
// raw gRPC stubs on one etcd server that runs as a separate process. From
// the integration module:
//
//	go run ./cmd/bench -out bench.md
//
// writes the markdown report to stdout and bench.md and the ratio chart to
// bench.svg. See package github.com/getcd/getcd/integration/bench and
// integration/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/getcd/getcd/integration/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
