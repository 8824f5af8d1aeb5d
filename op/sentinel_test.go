package op_test

import (
	"errors"
	"testing"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// TestOneSentinel shows the three packages share one ErrInvalidRequest, so
// an error from any builder matches all three.
func TestOneSentinel(t *testing.T) {
	if kv.ErrInvalidRequest != compare.ErrInvalidRequest || compare.ErrInvalidRequest != op.ErrInvalidRequest {
		t.Fatal("kv, compare and op export different ErrInvalidRequest values")
	}
	_, kvErr := kv.New().RangeRequest()
	_, cmpErr := compare.Cond{}.Compile()
	_, opErr := op.NewTxn().Then(op.Op{}).Compile()
	for _, err := range []error{kvErr, cmpErr, opErr} {
		for _, target := range []error{kv.ErrInvalidRequest, compare.ErrInvalidRequest, op.ErrInvalidRequest} {
			if !errors.Is(err, target) {
				t.Errorf("errors.Is(%v, ErrInvalidRequest) = false", err)
			}
		}
	}
}
