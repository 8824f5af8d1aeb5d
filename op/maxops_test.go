package op_test

import (
	"errors"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func puts(n int) []op.Op {
	ops := make([]op.Op, n)
	for i := range ops {
		ops[i] = op.Put(kv.New().WithKey("k" + strconv.Itoa(i)))
	}
	return ops
}

func conds(n int) []compare.Cond {
	cs := make([]compare.Cond, n)
	for i := range cs {
		cs[i] = compare.Missing("k" + strconv.Itoa(i))
	}
	return cs
}

func TestMaxOps(t *testing.T) {
	if op.DefaultMaxOps != 128 {
		t.Fatalf("DefaultMaxOps = %d, want etcd's 128", op.DefaultMaxOps)
	}
	for _, tc := range []struct {
		name  string
		txn   op.Txn
		field string // "" when the txn is valid
	}{
		{"128 compares", op.If(conds(128)...), ""},
		{"129 compares", op.If(conds(129)...), "compare"},
		{"128 then", op.NewTxn().Then(puts(128)...), ""},
		{"129 then", op.NewTxn().Then(puts(129)...), "success"},
		{"129 else", op.NewTxn().Else(puts(129)...), "failure"},
		{"128 in each branch", op.If(conds(128)...).Then(puts(128)...).Else(puts(128)...), ""},
		{"129 then in two steps", op.NewTxn().Then(puts(100)...).Then(puts(29)...), "success"},
		{"custom 3 ok", op.If(conds(3)...).Then(puts(3)...).WithMaxOps(3), ""},
		{"custom 3, 4 compares", op.If(conds(4)...).WithMaxOps(3), "compare"},
		{"custom 3, 4 else", op.NewTxn().Else(puts(4)...).WithMaxOps(3), "failure"},
		{"custom above default", op.NewTxn().Then(puts(200)...).WithMaxOps(200), ""},
		{"zero means default", op.NewTxn().Then(puts(129)...).WithMaxOps(0), "success"},
		// etcd checks a nested txn against what its parent leaves:
		// max-txn-ops minus the largest part of the parent.
		{"nested within budget", op.NewTxn().Then(puts(2)...).Then(op.Nested(op.NewTxn().Then(op.Get(kv.New().WithKey("k0"))))).WithMaxOps(4), ""},
		{"nested over budget", op.NewTxn().Then(puts(2)...).Then(op.Nested(op.NewTxn().Then(puts(2)...))).WithMaxOps(4), "success[2].success"},
		{"nested over budget by compares", op.If(conds(3)...).Else(op.Nested(op.NewTxn().Else(puts(2)...))).WithMaxOps(4), "failure[0].failure"},
		{"nested default budget", op.If(conds(100)...).Then(op.Nested(op.NewTxn().Then(puts(29)...))), "success[0].success"},
		{"nested default budget ok", op.If(conds(100)...).Then(op.Nested(op.NewTxn().Then(puts(28)...))), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.txn.Compile()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			wantFieldError(t, err, "op", "txn", tc.field)
			// The client's refusal matches the sentinel the server's
			// refusal matches (conn.ErrTooManyOps is op.ErrTooManyOps).
			if !errors.Is(err, op.ErrTooManyOps) {
				t.Errorf("%v does not match op.ErrTooManyOps", err)
			}
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("status.Code(%v) = %v, want InvalidArgument", err, status.Code(err))
			}
		})
	}
}
