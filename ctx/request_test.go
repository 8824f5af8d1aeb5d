package kv_test

import (
	"testing"
	"time"

	kv "github.com/getcd/getcd/ctx"
)

func TestAccessors(t *testing.T) {
	r := kv.On("primary").WithKey("k").WithTimeout(3 * time.Second)
	if got := r.Conn(); got != "primary" {
		t.Errorf("Conn() = %q, want primary", got)
	}
	if got := r.Key(); got != "k" {
		t.Errorf("Key() = %q, want k", got)
	}
	if got := r.Timeout(); got != 3*time.Second {
		t.Errorf("Timeout() = %v, want 3s", got)
	}
	if got := r.WithConn("backup").Conn(); got != "backup" {
		t.Errorf("WithConn(backup).Conn() = %q", got)
	}
	if got := kv.New(); got != (kv.Request{}) {
		t.Errorf("New() = %+v, want the zero Request", got)
	}
	if got := kv.New().Conn(); got != "" {
		t.Errorf("New().Conn() = %q, want empty", got)
	}
}

func TestSortStrings(t *testing.T) {
	for v, want := range map[kv.SortTarget]string{
		kv.SortByKey: "key", kv.SortByVersion: "version", kv.SortByCreate: "create",
		kv.SortByMod: "mod", kv.SortByValue: "value", kv.SortTarget(9): "SortTarget(9)", kv.SortTarget(-1): "SortTarget(-1)",
	} {
		if got := v.String(); got != want {
			t.Errorf("SortTarget(%d).String() = %q, want %q", int32(v), got, want)
		}
	}
	for v, want := range map[kv.SortOrder]string{
		kv.SortNone: "none", kv.SortAscend: "ascend", kv.SortDescend: "descend", kv.SortOrder(3): "SortOrder(3)",
	} {
		if got := v.String(); got != want {
			t.Errorf("SortOrder(%d).String() = %q, want %q", int32(v), got, want)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for key, want := range map[string]string{
		"":          "\x00",
		"a":         "b",
		"abc":       "abd",
		"a\xff":     "b",
		"a\xff\xff": "b",
		"\xff":      "\x00",
		"\xff\xff":  "\x00",
		"a\xfe":     "a\xff",
		"\x00":      "\x01",
		"z\xffa":    "z\xffb",
	} {
		if got := kv.PrefixEnd(key); got != want {
			t.Errorf("PrefixEnd(%q) = %q, want %q", key, got, want)
		}
	}
}
