// Command etcd is a plain etcd server built from the etcd version that the
// integration module requires (go.etcd.io/etcd/server/v3). It takes the same
// flags as the upstream etcd binary.
//
// The process-based harness (etcdtest.StartProcess, etcdtest.BuildEtcd) and the
// benchmarks build it with
//
//	go build -o DIR/etcd ./cmd/etcd
//
// from the integration module, so that no prebuilt etcd binary has to be
// downloaded.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
