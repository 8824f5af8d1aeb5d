package watchtest

import (
	"context"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/getcd/getcd/conn"
)

// streamStats is a gRPC stats handler that counts what crosses the watch
// streams of one connection, from gRPC's side rather than getcd's.
type streamStats struct {
	mu         sync.Mutex
	opened     int // watch streams begun
	ended      int // watch streams ended
	creates    []*pb.WatchCreateRequest
	cancels    int
	progress   int // progress requests
	hasLeader  []string
	responses  int // watch responses received
	fragments  int // of which fragments (Fragment set)
	largestMsg int // bytes, of a received watch response
}

type methodKey struct{}

const watchMethod = "/etcdserverpb.Watch/Watch"

// config returns a connection config that reports to s.
func (s *streamStats) config() conn.Config {
	return conn.Config{DialOptions: []grpc.DialOption{grpc.WithStatsHandler(s)}}
}

func (s *streamStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, methodKey{}, info.FullMethodName)
}

func (s *streamStats) HandleRPC(ctx context.Context, st stats.RPCStats) {
	if ctx.Value(methodKey{}) != watchMethod {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch v := st.(type) {
	case *stats.Begin:
		s.opened++
	case *stats.End:
		s.ended++
	case *stats.OutHeader:
		s.hasLeader = append(s.hasLeader, v.Header.Get("hasleader")...)
	case *stats.OutPayload:
		req, ok := v.Payload.(*pb.WatchRequest)
		if !ok {
			return
		}
		switch u := req.RequestUnion.(type) {
		case *pb.WatchRequest_CreateRequest:
			s.creates = append(s.creates, u.CreateRequest)
		case *pb.WatchRequest_CancelRequest:
			s.cancels++
		case *pb.WatchRequest_ProgressRequest:
			s.progress++
		}
	case *stats.InPayload:
		resp, ok := v.Payload.(*pb.WatchResponse)
		if !ok {
			return
		}
		s.responses++
		if resp.Fragment {
			s.fragments++
		}
		s.largestMsg = max(s.largestMsg, v.Length)
	}
}

func (s *streamStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (s *streamStats) HandleConn(context.Context, stats.ConnStats)                       {}

// snapshot returns a copy of the counters.
func (s *streamStats) snapshot() streamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return streamStats{opened: s.opened, ended: s.ended, creates: append([]*pb.WatchCreateRequest(nil), s.creates...),
		cancels: s.cancels, progress: s.progress, hasLeader: append([]string(nil), s.hasLeader...),
		responses: s.responses, fragments: s.fragments, largestMsg: s.largestMsg}
}
