#!/bin/sh
# instructions.sh counts the instructions the client spends per call on its
# own side of the transport (encoding the request, decoding the answer into
# what the caller gets) for getcd's codec, getcd on etcd's generated
# messages and raw stubs, with valgrind's callgrind on conn's in-process
# BenchmarkCodec. Instruction counts do not depend on the machine's load,
# as CPU times on a shared machine do. Each figure is the difference
# between a run of 2N and one of N calls, divided by N, so that the test
# binary's start and the benchmark's setup cancel out; the garbage
# collector's share of the calls stays in.
#
# Usage, from the repository root: sh integration/bench/instructions.sh
set -eu
bin=$(mktemp -d)/conn.test
go test -c -o "$bin" ./conn
ir() { # case variant calls
	GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$bin" -test.run='^$' -test.bench="^BenchmarkCodec\$/^$1\$/^$2\$" -test.benchtime="$3x" 2>&1 |
		awk '/Collected/ {print $4}'
}
printf '| call | codec | generated | raw | codec ÷ generated | codec ÷ raw |\n|---|--:|--:|--:|--:|--:|\n'
for c in put-16B put-4KiB get-1 get-prefix-10 get-prefix-100 get-prefix-1000 txn-cas; do
	case $c in
	get-prefix-1000) n=40 ;;
	get-prefix-100) n=200 ;;
	*) n=2000 ;;
	esac
	line="| $c"
	for v in codec generated raw; do
		a=$(ir "$c" "$v" "$n")
		b=$(ir "$c" "$v" $((2 * n)))
		eval "$v=$(((b - a) / n))"
		line="$line | $(((b - a) / n))"
	done
	echo "$line | $(awk "BEGIN {printf \"%.2f\", $codec / $generated}") | $(awk "BEGIN {printf \"%.2f\", $codec / $raw}") |"
done
