package lease

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/getcd/getcd/conn"
)

// GrantResponse is the answer to a grant.
type GrantResponse struct {
	Header conn.Header
	ID     int64 // the lease
	TTL    int64 // the TTL the server granted, in seconds
}

// RevokeResponse is the answer to a revoke.
type RevokeResponse struct {
	Header conn.Header
}

// TimeToLiveResponse is the answer to a time-to-live request.
type TimeToLiveResponse struct {
	Header     conn.Header
	ID         int64
	TTL        int64    // seconds left, rounded down
	GrantedTTL int64    // the TTL the lease was granted with, in seconds
	Keys       [][]byte // the attached keys, with WithKeys
}

// LeasesResponse is the answer to a list of the leases.
type LeasesResponse struct {
	Header conn.Header
	IDs    []int64
}

// KeepAliveResponse is the answer to one renewal (KeepAliveOnce).
type KeepAliveResponse struct {
	Header conn.Header
	ID     int64
	TTL    int64 // the lease's TTL, in seconds: it lives at least this long now
}

func grantResponse(r *pb.LeaseGrantResponse) *GrantResponse {
	return &GrantResponse{Header: conn.HeaderOf(r.Header), ID: r.ID, TTL: r.TTL}
}

func revokeResponse(r *pb.LeaseRevokeResponse) *RevokeResponse {
	return &RevokeResponse{Header: conn.HeaderOf(r.Header)}
}

func timeToLiveResponse(r *pb.LeaseTimeToLiveResponse) *TimeToLiveResponse {
	out := &TimeToLiveResponse{Header: conn.HeaderOf(r.Header), ID: r.ID, TTL: r.TTL, GrantedTTL: r.GrantedTTL}
	if len(r.Keys) > 0 {
		out.Keys = make([][]byte, len(r.Keys))
		for i, k := range r.Keys {
			// Keys pass through conn.KeyValueOf, the one place a key
			// namespace of the connection would strip its prefix.
			out.Keys[i] = conn.KeyValueOf(&mvccpb.KeyValue{Key: k}).Key
		}
	}
	return out
}

func leasesResponse(r *pb.LeaseLeasesResponse) *LeasesResponse {
	out := &LeasesResponse{Header: conn.HeaderOf(r.Header)}
	if len(r.Leases) > 0 {
		out.IDs = make([]int64, len(r.Leases))
		for i, l := range r.Leases {
			out.IDs[i] = l.ID
		}
	}
	return out
}

func keepAliveResponse(r *pb.LeaseKeepAliveResponse) *KeepAliveResponse {
	return &KeepAliveResponse{Header: conn.HeaderOf(r.Header), ID: r.ID, TTL: r.TTL}
}
