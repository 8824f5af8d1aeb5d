package kv_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	kv "github.com/getcd/getcd/ctx"
)

var (
	sinkRange *pb.RangeRequest
	sinkPut   *pb.PutRequest
)

// BenchmarkRange builds and compiles a typical range: prefix + sort + limit.
func BenchmarkRange(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := kv.New().WithKey("services/api/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend).WithLimit(100).RangeRequest()
		if err != nil {
			b.Fatal(err)
		}
		sinkRange = m
	}
}

// BenchmarkPut builds and compiles a put of a key and a value.
func BenchmarkPut(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := kv.New().WithKey("services/api/10.0.0.1:8080").WithValue(`{"weight":10}`).PutRequest()
		if err != nil {
			b.Fatal(err)
		}
		sinkPut = m
	}
}

// BenchmarkChain builds a request without compiling it.
func BenchmarkChain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkReq = kv.New().WithKey("services/api/").WithPrefix().WithSort(kv.SortByKey, kv.SortAscend).WithLimit(100)
	}
}
