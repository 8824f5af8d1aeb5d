package membership

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/internal/errs"
)

func invalid(req, field, reason string) error { return errs.Field("membership", req, field, reason) }

// check rejects options the call does not use and a negative timeout.
func (r Request) check(req string, allowed option) error {
	if extra := r.set &^ allowed; extra != 0 {
		f := extra.field()
		return invalid(req, f, "not used by "+req)
	}
	if r.timeout < 0 {
		return invalid(req, "timeout", "must not be negative, got "+r.timeout.String())
	}
	return nil
}

// checkID requires a member ID.
func (r Request) checkID(req string) error {
	if !r.set.has(optID) || r.id == 0 {
		return invalid(req, "id", "a member ID is required (WithID); 0 is no member")
	}
	return nil
}

// checkPeerURLs requires at least one peer URL and rejects the URLs etcd
// rejects: a scheme other than http, https, unix or unixs, and for http and
// https an address without a port or with a path; and URLs that are not
// valid UTF-8, which cannot be sent.
func (r Request) checkPeerURLs(req string) error {
	if len(r.peerURLs) == 0 {
		return invalid(req, "peer_urls", "at least one peer URL is required (WithPeerURLs)")
	}
	for i, s := range r.peerURLs {
		field := "peer_urls[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(s) == "" {
			return invalid(req, field, "empty peer URL")
		}
		// Peer URLs are protobuf strings, which must be UTF-8: gRPC would
		// refuse to encode the request only once a stream to a member
		// exists, and the write would then report an unknown outcome
		// although nothing was sent.
		if !utf8.ValidString(s) {
			return invalid(req, field, strconv.Quote(s)+": not valid UTF-8")
		}
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return invalid(req, field, strconv.Quote(s)+": not a URL; want one such as http://10.0.0.4:2380")
		}
		switch u.Scheme {
		case "http", "https":
			if _, _, err := net.SplitHostPort(u.Host); err != nil {
				return invalid(req, field, strconv.Quote(s)+": address must have the form host:port")
			}
			if u.Path != "" {
				return invalid(req, field, strconv.Quote(s)+": a path is not allowed")
			}
		case "unix", "unixs":
		default:
			return invalid(req, field, strconv.Quote(s)+": scheme must be http, https, unix or unixs")
		}
	}
	return nil
}

// ListRequest compiles r into a fresh *pb.MemberListRequest.
func (r Request) ListRequest() (*pb.MemberListRequest, error) {
	if err := r.check("list", listOpts); err != nil {
		return nil, err
	}
	return &pb.MemberListRequest{Linearizable: r.set.has(optLinearizable)}, nil
}

// AddRequest compiles r into a fresh *pb.MemberAddRequest.
func (r Request) AddRequest() (*pb.MemberAddRequest, error) {
	if err := r.check("add", addOpts); err != nil {
		return nil, err
	}
	if err := r.checkPeerURLs("add"); err != nil {
		return nil, err
	}
	return &pb.MemberAddRequest{PeerURLs: append([]string(nil), r.peerURLs...), IsLearner: r.set.has(optLearner)}, nil
}

// RemoveRequest compiles r into a fresh *pb.MemberRemoveRequest.
func (r Request) RemoveRequest() (*pb.MemberRemoveRequest, error) {
	if err := r.check("remove", removeOpts); err != nil {
		return nil, err
	}
	if err := r.checkID("remove"); err != nil {
		return nil, err
	}
	return &pb.MemberRemoveRequest{ID: r.id}, nil
}

// UpdateRequest compiles r into a fresh *pb.MemberUpdateRequest.
func (r Request) UpdateRequest() (*pb.MemberUpdateRequest, error) {
	if err := r.check("update", updateOpts); err != nil {
		return nil, err
	}
	if err := r.checkID("update"); err != nil {
		return nil, err
	}
	if err := r.checkPeerURLs("update"); err != nil {
		return nil, err
	}
	return &pb.MemberUpdateRequest{ID: r.id, PeerURLs: append([]string(nil), r.peerURLs...)}, nil
}

// PromoteRequest compiles r into a fresh *pb.MemberPromoteRequest.
func (r Request) PromoteRequest() (*pb.MemberPromoteRequest, error) {
	if err := r.check("promote", promoteOpts); err != nil {
		return nil, err
	}
	if err := r.checkID("promote"); err != nil {
		return nil, err
	}
	return &pb.MemberPromoteRequest{ID: r.id}, nil
}
