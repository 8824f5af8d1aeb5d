package maintenance

import (
	"math/bits"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/getcd/getcd/internal/errs"
)

// option is the set of options a Request was given.
type option uint16

const (
	optEndpoint option = 1 << iota
	optRev
	optAlarm
	optTarget
	optVersion
	optWriter
	optFile
	optProgress
	optTimeout
)

var optionFields = [...]string{"endpoint", "revision", "alarm", "target_id", "version", "writer", "file", "progress", "timeout"}

// Options each call accepts besides the timeout.
const (
	perEndpointOpts = optEndpoint
	hashKVOpts      = optEndpoint | optRev
	disarmOpts      = optAlarm
	moveLeaderOpts  = optTarget | optEndpoint
	downgradeOpts   = optVersion
	snapshotOpts    = optEndpoint | optWriter | optFile | optProgress
)

func (o option) has(b option) bool { return o&b != 0 }

// field names the lowest option of o.
func (o option) field() string {
	i := bits.TrailingZeros16(uint16(o))
	if i < len(optionFields) {
		return optionFields[i]
	}
	return "unknown"
}

func invalid(req, field, reason string) error { return errs.Field("maintenance", req, field, reason) }

// validVersion says whether etcd takes v as a downgrade target, as its
// convertToClusterVersion (server/etcdserver/cluster_util.go, v3.7.3) does:
// a semantic version (major.minor.patch, each a decimal that fits an int64,
// then an optional -pre-release and +build, dot-separated identifiers of
// letters, digits and hyphens), or major.minor, which etcd reads as
// major.minor.0. Only major.minor counts: etcd drops the rest.
func validVersion(v string) bool { return semver(v) || semver(v+".0") }

func semver(v string) bool {
	v, build, _ := strings.Cut(v, "+")
	v, pre, _ := strings.Cut(v, "-")
	nums := strings.SplitN(v, ".", 3)
	if len(nums) != 3 || (pre != "" && !identifiersRE.MatchString(pre)) || (build != "" && !identifiersRE.MatchString(build)) {
		return false
	}
	for _, n := range nums {
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			return false
		}
	}
	return true
}

var identifiersRE = regexp.MustCompile(`^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$`)

// check rejects options the call does not use, a negative timeout and a
// malformed endpoint, and checks the values of the options given.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ (allowed | optTimeout); extra != 0 {
		return invalid(req, extra.field(), "not used by "+req)
	}
	if r.timeout < 0 {
		return invalid(req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	if r.set.has(optEndpoint) {
		if _, err := endpointAddr(r.endpoint); err != nil {
			return invalid(req, "endpoint", err.Error())
		}
	}
	if r.rev < 0 {
		return invalid(req, "revision", errs.Negative(r.rev))
	}
	return nil
}

// endpointAddr turns a client URL or host:port into host:port.
func endpointAddr(ep string) (string, error) {
	s := strings.TrimSpace(ep)
	switch {
	case strings.HasPrefix(s, "https://"):
		s = s[len("https://"):]
	case strings.HasPrefix(s, "http://"):
		s = s[len("http://"):]
	case strings.Contains(s, "://"):
		return "", &reason{strconv.Quote(ep) + ": unsupported scheme; use host:port, http:// or https://"}
	}
	s = strings.TrimSuffix(s, "/")
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(s, "/?#") {
		return "", &reason{strconv.Quote(ep) + ": want host:port or a client URL such as http://10.0.0.1:2379"}
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", &reason{strconv.Quote(ep) + ": port must be 1-65535"}
	}
	return net.JoinHostPort(host, port), nil
}

type reason struct{ s string }

func (r *reason) Error() string { return r.s }
