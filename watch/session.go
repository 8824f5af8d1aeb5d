package watch

import (
	"context"
	"errors"
	"io"
	"sync"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/getcd/getcd/internal/connx"
)

// methodWatch is the full gRPC method of etcd's watch stream.
const methodWatch = "/etcdserverpb.Watch/Watch"

var watchDesc = &grpc.StreamDesc{StreamName: "Watch", ServerStreams: true, ClientStreams: true}

// session is one attempt at a watch stream: a receiving goroutine that
// opens the stream and reads it, and a sending goroutine that writes what
// the owner queues. Both end when the stream fails or the owner cancels
// the session; the owner then starts another one.
type session struct {
	g      *group
	ctx    context.Context // the stream's own lifetime, ended by cancel
	cancel context.CancelFunc
	wg     sync.WaitGroup
	got    bool // owner only: a response arrived, so the stream worked

	mu    sync.Mutex
	queue []*pb.WatchRequest
	spare []*pb.WatchRequest
	wake  chan struct{}
}

// sessionMsg is what a session tells the owner: a response, or the error
// that ended the stream.
type sessionMsg struct {
	s    *session
	resp *pb.WatchResponse
	size int64 // of resp's keys and values, counted in the group's read-ahead
	err  error
}

// startSession opens a stream in the background. reauth, when set, is the
// auth failure to recover from before the stream is opened.
func startSession(g *group, reauth error) *session {
	ctx, cancel := context.WithCancel(context.Background())
	if g.requireLeader {
		ctx = metadata.AppendToOutgoingContext(ctx, rpctypes.MetadataRequireLeaderKey, rpctypes.MetadataHasLeader)
	}
	s := &session{g: g, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
	s.wg.Add(1)
	go s.recv(reauth)
	return s
}

// send queues a request; it never blocks.
func (s *session) send(r *pb.WatchRequest) {
	s.mu.Lock()
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stop cancels the stream and waits for both goroutines.
func (s *session) stop() {
	s.cancel()
	s.wg.Wait()
}

// report hands m to the owner unless the session was cancelled.
func (s *session) report(m sessionMsg) bool {
	m.s = s
	select {
	case s.g.in <- m:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *session) fail(p *peer.Peer, err error) {
	x := s.g.m.x
	s.report(sessionMsg{err: x.Error(context.Background(), methodWatch, p, connx.Read, err)})
}

func (s *session) recv(reauth error) {
	defer s.wg.Done()
	x := s.g.m.x
	if reauth != nil {
		if _, err := x.Reauth(s.ctx, reauth); err != nil {
			s.fail(nil, err)
			return
		}
	}
	cs, err := x.NewStream(s.ctx, watchDesc, methodWatch)
	if err != nil {
		s.fail(nil, err)
		return
	}
	p, _ := peer.FromContext(cs.Context())
	s.wg.Add(1)
	go s.sendLoop(cs)
	for {
		resp := new(pb.WatchResponse)
		if err := cs.RecvMsg(resp); err != nil {
			if errors.Is(err, io.EOF) {
				err = status.Error(codes.Unavailable, "watch stream ended by the server")
			}
			s.fail(p, err)
			return
		}
		size := respSize(resp)
		if !s.waitAhead(size) {
			return
		}
		s.g.ahead.Add(size)
		if !s.report(sessionMsg{resp: resp, size: size}) {
			s.g.ahead.Add(-size)
			return
		}
	}
}

// waitAhead waits until a response of size bytes fits in the read-ahead:
// at once if nothing is ahead. It reports false if the session ended.
func (s *session) waitAhead(size int64) bool {
	for {
		ahead := s.g.ahead.Load()
		if ahead == 0 || ahead+size <= readAheadBytes {
			return true
		}
		select {
		case <-s.g.drained:
		case <-s.ctx.Done():
			return false
		}
	}
}

// respSize is the size of a response's keys and values, the bulk of it.
func respSize(r *pb.WatchResponse) int64 {
	n := int64(64)
	for _, ev := range r.Events {
		if kv := ev.Kv; kv != nil {
			n += int64(len(kv.Key) + len(kv.Value))
		}
		if kv := ev.PrevKv; kv != nil {
			n += int64(len(kv.Key) + len(kv.Value))
		}
	}
	return n
}

func (s *session) sendLoop(cs grpc.ClientStream) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		q := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.mu.Unlock()
		for i, r := range q {
			if err := cs.SendMsg(r); err != nil {
				return // the receiver sees the stream's error
			}
			q[i] = nil
		}
		s.mu.Lock()
		if s.spare == nil {
			s.spare = q[:0]
		}
		empty := len(s.queue) == 0
		s.mu.Unlock()
		if !empty {
			continue
		}
		select {
		case <-s.wake:
		case <-s.ctx.Done():
			return
		}
	}
}
