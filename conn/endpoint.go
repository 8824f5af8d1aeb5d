package conn

import (
	"net"
	"strconv"
	"strings"
)

// endpoint is one parsed cluster address.
type endpoint struct {
	addr   string // host:port as gRPC dials it ("[::1]:2379" for IPv6)
	host   string // host name or IP, for TLS server name checks
	secure bool   // https:// was given
}

// parseEndpoints accepts host:port, [v6]:port and http:// or https:// URLs.
func parseEndpoints(raw []string) ([]endpoint, error) {
	out := make([]endpoint, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	schemes := 0
	for _, r := range raw {
		ep, err := parseEndpoint(r)
		if err != nil {
			return nil, err
		}
		if ep.secure {
			schemes++
		}
		if seen[ep.addr] {
			return nil, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + " is listed twice"}
		}
		seen[ep.addr] = true
		out = append(out, ep)
	}
	if schemes != 0 && schemes != len(out) {
		return nil, &configError{"Endpoints", "mixes https:// and plain endpoints; one connection uses one transport"}
	}
	return out, nil
}

func parseEndpoint(r string) (endpoint, error) {
	s := strings.TrimSpace(r)
	var ep endpoint
	switch {
	case strings.HasPrefix(s, "https://"):
		ep.secure = true
		s = s[len("https://"):]
	case strings.HasPrefix(s, "http://"):
		s = s[len("http://"):]
	case strings.Contains(s, "://"):
		return ep, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + ": unsupported scheme; use host:port, http:// or https://"}
	}
	s = strings.TrimSuffix(s, "/")
	if strings.ContainsAny(s, "/?#") {
		return ep, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + ": a path, query or fragment is not allowed"}
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return ep, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + ": want host:port ([v6]:port for IPv6): " + err.Error()}
	}
	if host == "" {
		return ep, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + ": empty host"}
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return ep, &configError{"Endpoints", "endpoint " + strconv.Quote(r) + ": port must be 1-65535"}
	}
	ep.host = host
	ep.addr = net.JoinHostPort(host, port)
	return ep, nil
}
