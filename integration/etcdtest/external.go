package etcdtest

import (
	"os"
	"strings"
)

// EnvEndpoints is the environment variable that points tests at an external
// etcd cluster instead of a server started in-process.
const EnvEndpoints = "ETCD_ENDPOINTS"

// External returns the endpoints listed in ETCD_ENDPOINTS (comma-separated,
// spaces around entries ignored) and whether there is at least one. Entries
// are returned as written, with a scheme if they have one.
func External() ([]string, bool) {
	var eps []string
	for _, e := range strings.Split(os.Getenv(EnvEndpoints), ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	return eps, len(eps) > 0
}

// externalServer returns the external cluster if ETCD_ENDPOINTS is set and
// cfg needs no dedicated server.
func externalServer(cfg config) (*Server, bool) {
	if cfg.dedicated {
		return nil, false
	}
	eps, ok := External()
	if !ok {
		return nil, false
	}
	s := &Server{external: true}
	for i, e := range eps {
		scheme, hostport, found := strings.Cut(e, "://")
		if !found {
			scheme, hostport = "http", e
		}
		hostport = strings.TrimSuffix(hostport, "/")
		if i == 0 {
			s.clientURL = scheme + "://" + hostport
		}
		s.endpoints = append(s.endpoints, hostport)
	}
	return s, true
}
