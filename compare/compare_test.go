package compare_test

import (
	"math"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
)

var strict = map[compare.Op]pb.Compare_CompareResult{
	compare.Equal: pb.Compare_EQUAL, compare.NotEqual: pb.Compare_NOT_EQUAL,
	compare.Greater: pb.Compare_GREATER, compare.Less: pb.Compare_LESS,
}

// TestIntegerTargets compiles every integer target with every operator,
// including the >= and <= rewrites.
func TestIntegerTargets(t *testing.T) {
	type build func(compare.Subject, compare.Op, int64) compare.Cond
	targets := []struct {
		name   string
		build  build
		target pb.Compare_CompareTarget
		union  func(*pb.Compare, int64)
	}{
		{"version", compare.Subject.Version, pb.Compare_VERSION, func(m *pb.Compare, n int64) { m.TargetUnion = &pb.Compare_Version{Version: n} }},
		{"create", compare.Subject.CreateRevision, pb.Compare_CREATE, func(m *pb.Compare, n int64) { m.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: n} }},
		{"mod", compare.Subject.ModRevision, pb.Compare_MOD, func(m *pb.Compare, n int64) { m.TargetUnion = &pb.Compare_ModRevision{ModRevision: n} }},
		{"lease", compare.Subject.Lease, pb.Compare_LEASE, func(m *pb.Compare, n int64) { m.TargetUnion = &pb.Compare_Lease{Lease: n} }},
	}
	ops := []struct {
		op     compare.Op
		n      int64
		result pb.Compare_CompareResult
		sent   int64
	}{
		{compare.Equal, 7, pb.Compare_EQUAL, 7},
		{compare.NotEqual, 7, pb.Compare_NOT_EQUAL, 7},
		{compare.Greater, 7, pb.Compare_GREATER, 7},
		{compare.Less, 7, pb.Compare_LESS, 7},
		{compare.Equal, 0, pb.Compare_EQUAL, 0},
		{compare.Greater, math.MaxInt64, pb.Compare_GREATER, math.MaxInt64},
		// x >= 7 is x > 6; x <= 7 is x < 8.
		{compare.GreaterOrEqual, 7, pb.Compare_GREATER, 6},
		{compare.LessOrEqual, 7, pb.Compare_LESS, 8},
		// x >= 1 is x > 0; x >= 0 always holds, x > -1.
		{compare.GreaterOrEqual, 1, pb.Compare_GREATER, 0},
		{compare.GreaterOrEqual, 0, pb.Compare_GREATER, -1},
		{compare.LessOrEqual, 0, pb.Compare_LESS, 1},
		{compare.GreaterOrEqual, math.MaxInt64, pb.Compare_GREATER, math.MaxInt64 - 1},
		{compare.LessOrEqual, math.MaxInt64 - 1, pb.Compare_LESS, math.MaxInt64},
	}
	for _, tg := range targets {
		for _, o := range ops {
			t.Run(tg.name+o.op.String(), func(t *testing.T) {
				got, err := tg.build(compare.Key("k"), o.op, o.n).Compile()
				if err != nil {
					t.Fatal(err)
				}
				want := &pb.Compare{Key: b("k"), Target: tg.target, Result: o.result}
				tg.union(want, o.sent)
				diff(t, want, got)
			})
		}
	}
}

// TestValueTarget compiles a value condition with each strict operator.
func TestValueTarget(t *testing.T) {
	for op, result := range strict {
		for _, v := range []string{"node-1", "", "\x00\xff"} {
			got, err := compare.Key("leader").Value(op, v).Compile()
			if err != nil {
				t.Fatal(err)
			}
			diff(t, &pb.Compare{Key: b("leader"), Target: pb.Compare_VALUE, Result: result, TargetUnion: &pb.Compare_Value{Value: b(v)}}, got)
		}
	}
}

// TestSubjects compiles each kind of subject.
func TestSubjects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        compare.Subject
		key, end string
	}{
		{"key", compare.Key("k"), "k", ""},
		{"nul key", compare.Key("\x00"), "\x00", ""},
		{"prefix", compare.Prefix("jobs/"), "jobs/", "jobs0"},
		{"prefix a\\xff", compare.Prefix("a\xff"), "a\xff", "b"},
		{"prefix \\xff\\xff", compare.Prefix("\xff\xff"), "\xff\xff", "\x00"},
		{"prefix empty", compare.Prefix(""), "\x00", "\x00"},
		{"from key", compare.FromKey("m"), "m", "\x00"},
		{"from empty key", compare.FromKey(""), "\x00", "\x00"},
		{"range", compare.Range("a", "c"), "a", "c"},
		{"range to the end", compare.Range("a", "\x00"), "a", "\x00"},
	} {
		for _, tg := range []struct {
			cond compare.Cond
			want *pb.Compare
		}{
			{tc.s.Value(compare.NotEqual, "v"), &pb.Compare{Target: pb.Compare_VALUE, Result: pb.Compare_NOT_EQUAL, TargetUnion: &pb.Compare_Value{Value: b("v")}}},
			{tc.s.Version(compare.Greater, 0), &pb.Compare{Target: pb.Compare_VERSION, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Version{Version: 0}}},
			{tc.s.CreateRevision(compare.Equal, 0), &pb.Compare{Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}},
			{tc.s.ModRevision(compare.LessOrEqual, 9), &pb.Compare{Target: pb.Compare_MOD, Result: pb.Compare_LESS, TargetUnion: &pb.Compare_ModRevision{ModRevision: 10}}},
			{tc.s.Lease(compare.GreaterOrEqual, 5), &pb.Compare{Target: pb.Compare_LEASE, Result: pb.Compare_GREATER, TargetUnion: &pb.Compare_Lease{Lease: 4}}},
		} {
			t.Run(tc.name+"/"+tg.want.Target.String(), func(t *testing.T) {
				got, err := tg.cond.Compile()
				if err != nil {
					t.Fatal(err)
				}
				tg.want.Key, tg.want.RangeEnd = b(tc.key), b(tc.end)
				diff(t, tg.want, got)
			})
		}
	}
}

func TestExistsMissing(t *testing.T) {
	got, err := compare.Exists("lock").Compile()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.Compare{Key: b("lock"), Target: pb.Compare_CREATE, Result: pb.Compare_GREATER,
		TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}, got)

	got, err = compare.Missing("lock").Compile()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.Compare{Key: b("lock"), Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL,
		TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}, got)
}

func TestOpString(t *testing.T) {
	for op, want := range map[compare.Op]string{
		compare.Equal: "=", compare.NotEqual: "!=", compare.Greater: ">", compare.Less: "<",
		compare.GreaterOrEqual: ">=", compare.LessOrEqual: "<=", compare.Op(0): "Op(?)", compare.Op(42): "Op(?)",
	} {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", int8(op), got, want)
		}
	}
}

// TestCondIsValue shows a Cond can be reused: compiling it twice gives equal,
// separate messages.
func TestCondIsValue(t *testing.T) {
	c := compare.Prefix("p").Value(compare.Equal, "v")
	m1, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	m1.Key[0], m1.RangeEnd[0] = 'X', 'X'
	m1.GetValue()[0] = 'X'
	m2, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	diff(t, &pb.Compare{Key: b("p"), RangeEnd: b("q"), Target: pb.Compare_VALUE, Result: pb.Compare_EQUAL,
		TargetUnion: &pb.Compare_Value{Value: b("v")}}, m2)
}
