package conn

import (
	"errors"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in     string
		addr   string
		host   string
		secure bool
	}{
		{"127.0.0.1:2379", "127.0.0.1:2379", "127.0.0.1", false},
		{"[::1]:2379", "[::1]:2379", "::1", false},
		{"etcd-0.example.com:2379", "etcd-0.example.com:2379", "etcd-0.example.com", false},
		{"http://127.0.0.1:2379", "127.0.0.1:2379", "127.0.0.1", false},
		{"https://[::1]:2379/", "[::1]:2379", "::1", true},
		{"https://etcd:2379", "etcd:2379", "etcd", true},
		{"  localhost:1  ", "localhost:1", "localhost", false},
		// Schemes are case-insensitive; ports and hosts are canonical.
		{"HTTPS://etcd:2379", "etcd:2379", "etcd", true},
		{"Http://h:1", "h:1", "h", false},
		{"h:02379", "h:2379", "h", false},
		{"ETCD-0.Example:2379", "etcd-0.example:2379", "etcd-0.example", false},
		{"[0:0::1]:2379", "[::1]:2379", "::1", false},
		// A URL escapes an IPv6 zone's % as %25, as etcd's member list does.
		{"http://[fe80::1%25eth0]:2379", "[fe80::1%eth0]:2379", "fe80::1%eth0", false},
		{"https://[fe80::1%eth0]:2379", "[fe80::1%eth0]:2379", "fe80::1%eth0", true},
		{"[fe80::1%eth0]:2379", "[fe80::1%eth0]:2379", "fe80::1%eth0", false},
	} {
		ep, err := parseEndpoint(tc.in)
		if err != nil {
			t.Errorf("parseEndpoint(%q): %v", tc.in, err)
			continue
		}
		if ep.addr != tc.addr || ep.host != tc.host || ep.secure != tc.secure {
			t.Errorf("parseEndpoint(%q) = %+v, want addr %q host %q secure %v", tc.in, ep, tc.addr, tc.host, tc.secure)
		}
	}
}

func TestParseEndpointRejects(t *testing.T) {
	for _, in := range []string{
		"", "127.0.0.1", "::1:2379", "unix:///tmp/etcd.sock", "grpc://h:1", "h:0", "h:65536", "h:port",
		":2379", "http://h:1/path", "h:1?x=y",
		"http://user@h:1", "https://user:pw@h:1", "user@h:1", "h:+1", "h:-1",
	} {
		_, err := parseEndpoint(in)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("parseEndpoint(%q) = %v, want ErrInvalidConfig", in, err)
		}
	}
}

func TestParseEndpointsSet(t *testing.T) {
	for _, dup := range [][]string{
		{"a:1", "http://a:1"},
		{"h:2379", "h:02379"},
		{"H:1", "h:1"},
		{"[::1]:1", "[0::1]:1"},
		{"HTTPS://h:1", "https://h:1"},
	} {
		if _, err := parseEndpoints(dup); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("duplicate endpoints %q: got %v", dup, err)
		}
	}
	if _, err := parseEndpoints([]string{"http://[fe80::1%25eth0]:1", "[fe80::1%eth0]:1"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("one zoned address, escaped and not: got %v", err)
	}
	if _, err := parseEndpoints([]string{"https://a:1", "b:1"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("mixed schemes: got %v", err)
	}
	eps, err := parseEndpoints([]string{"a:1", "[::1]:2", "c:3"})
	if err != nil || len(eps) != 3 || eps[1].addr != "[::1]:2" {
		t.Errorf("parseEndpoints = %+v, %v", eps, err)
	}
}
