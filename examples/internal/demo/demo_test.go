package demo_test

import (
	"fmt"
	"testing"

	"github.com/getcd/getcd/examples/internal/demo"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestContains(t *testing.T) {
	r := &recorder{TB: t}
	demo.Contains(r, "put a\nget b\n", "put a", "get b")
	if len(r.errs) != 0 {
		t.Fatalf("errors for an output holding every string: %q", r.errs)
	}
	demo.Contains(r, "put a\nget b\n", "put a", "get c", "delete")
	want := "output lacks [\"get c\" \"delete\"]:\nput a\nget b\n"
	if len(r.errs) != 1 || r.errs[0] != want {
		t.Fatalf("errors %q, want one: %q", r.errs, want)
	}
}
