package conn

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// endpoint is one parsed cluster address.
type endpoint struct {
	addr   string // host:port as gRPC dials it ("[::1]:2379" for IPv6)
	host   string // host name or IP, for TLS server name checks
	secure bool   // https:// was given
	plain  bool   // http:// was given
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
			return nil, &ConfigError{Field: "Endpoints", Reason: "endpoint " + strconv.Quote(r) + " is listed twice"}
		}
		seen[ep.addr] = true
		out = append(out, ep)
	}
	if schemes != 0 && schemes != len(out) {
		return nil, &ConfigError{Field: "Endpoints", Reason: "mixes https:// and plain endpoints; one connection uses one transport"}
	}
	return out, nil
}

// parseEndpoint parses one endpoint into its canonical form, so that two
// spellings of one address ("H:02379" and "h:2379", "[::1]:1" and
// "[0::1]:1") are caught as duplicates. Schemes are case-insensitive, as in
// URLs.
func parseEndpoint(r string) (endpoint, error) {
	s := strings.TrimSpace(r)
	var ep endpoint
	bad := func(reason string) (endpoint, error) {
		return endpoint{}, &ConfigError{Field: "Endpoints", Reason: "endpoint " + strconv.Quote(r) + ": " + reason}
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		switch strings.ToLower(scheme) {
		case "https":
			ep.secure = true
		case "http":
			ep.plain = true
		default:
			return bad("unsupported scheme; use host:port, http:// or https://")
		}
		s = rest
	}
	s = strings.TrimSuffix(s, "/")
	if strings.ContainsAny(s, "/?#") {
		return bad("a path, query or fragment is not allowed")
	}
	if strings.Contains(s, "@") {
		return bad("user information is not allowed; use Config.Username and Password")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return bad("want host:port ([v6]:port for IPv6): " + err.Error())
	}
	if host == "" {
		return bad("empty host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 || port[0] == '+' {
		return bad("port must be 1-65535")
	}
	if ep.secure || ep.plain {
		// A URL escapes the % of an IPv6 zone as %25 (RFC 6874), and etcd
		// advertises its client URLs so: "http://[fe80::1%25eth0]:2379".
		if i := strings.Index(host, "%25"); i >= 0 && strings.Contains(host[:i], ":") {
			host = host[:i] + "%" + host[i+len("%25"):]
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	} else {
		host = strings.ToLower(host)
	}
	ep.host = host
	ep.addr = net.JoinHostPort(host, strconv.Itoa(n))
	return ep, nil
}
