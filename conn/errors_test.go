package conn

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

func TestMapErrorSentinels(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		grpcErr error
		want    error
	}{
		{rpctypes.ErrGRPCCompacted, ErrCompacted},
		{rpctypes.ErrGRPCFutureRev, ErrFutureRev},
		{rpctypes.ErrGRPCNoLeader, ErrNoLeader},
		{rpctypes.ErrGRPCLeaderChanged, ErrLeaderChanged},
		{rpctypes.ErrGRPCRequestTooLarge, ErrRequestTooLarge},
		{rpctypes.ErrGRPCTooManyOps, ErrTooManyOps},
		{rpctypes.ErrGRPCDuplicateKey, ErrDuplicateKey},
		{rpctypes.ErrGRPCKeyNotFound, ErrKeyNotFound},
		{rpctypes.ErrGRPCPermissionDenied, ErrPermissionDenied},
		{rpctypes.ErrGRPCAuthFailed, ErrAuthFailed},
		{rpctypes.ErrGRPCInvalidAuthToken, ErrInvalidAuthToken},
		{rpctypes.ErrGRPCTimeout, ErrTimeout},
		{rpctypes.ErrGRPCTimeoutDueToLeaderFail, ErrTimeout},
		{rpctypes.ErrGRPCUnhealthy, ErrUnhealthy},
		{rpctypes.ErrGRPCLeaseNotFound, ErrLeaseNotFound},
		{rpctypes.ErrGRPCNoSpace, ErrNoSpace},
		{rpctypes.ErrGRPCStopped, ErrStopped},
		{status.Error(codes.Unavailable, "connection refused"), ErrUnavailable},
		{status.Error(codes.ResourceExhausted, "grpc: trying to send message larger than max (10 vs. 5)"), ErrRequestTooLarge},
		// The server's receive limit refuses a request; it names its own limit.
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max (3000000 vs. 2097152)"), ErrRequestTooLarge},
		// The client's receive limit (1024 here) refuses an answer.
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max (4141 vs. 1024)"), ErrResponseTooLarge},
		{status.Error(codes.ResourceExhausted, "grpc: received message after decompression larger than max 1024"), ErrResponseTooLarge},
		{status.Error(codes.Internal, "boom"), ErrUnknown},
		// raft's ErrProposalDropped, as etcd's togRPCError sends it.
		{status.Error(codes.Unknown, "raft proposal dropped"), ErrProposalDropped},
		// The same words with another code are not raft's error.
		{status.Error(codes.Internal, "raft proposal dropped"), ErrUnknown},
	} {
		err := mapError(bg, MethodRange, "127.0.0.1:2379", false, 1024, tc.grpcErr)
		if !errors.Is(err, tc.want) {
			t.Errorf("mapError(%v) = %v, want %v", tc.grpcErr, err, tc.want)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:2379") || !strings.Contains(err.Error(), "Range") {
			t.Errorf("error %q names neither the endpoint nor the method", err)
		}
		if status.Code(err) != status.Code(tc.grpcErr) {
			t.Errorf("status.Code(%v) = %v, want %v", err, status.Code(err), status.Code(tc.grpcErr))
		}
	}
}

func TestMapErrorContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mapError(ctx, MethodRange, "e:1", false, 0, status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: got %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	err = mapError(dctx, MethodPut, "e:1", true, 0, status.Error(codes.DeadlineExceeded, "context deadline exceeded"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("deadline on write: got %v, want DeadlineExceeded and ErrUnknownOutcome", err)
	}
	if !strings.Contains(err.Error(), "may or may not have been applied") {
		t.Errorf("unknown outcome not spelled out: %q", err)
	}
}

// The outcome table of the package documentation, row by row: a write that
// reached the server and failed with err may have been applied (unknown) or
// certainly was not.
func TestOutcomeOfWrites(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		err     error
		unknown bool
	}{
		{status.Error(codes.Unavailable, "transport is closing"), true},
		{status.Error(codes.DeadlineExceeded, "context deadline exceeded"), true},
		{rpctypes.ErrGRPCTimeout, true},
		{rpctypes.ErrGRPCTimeoutDueToLeaderFail, true},
		{rpctypes.ErrGRPCTimeoutDueToConnectionLost, true},
		{rpctypes.ErrGRPCCanceled, true},
		{rpctypes.ErrGRPCLeaderChanged, true},
		{rpctypes.ErrGRPCNoSpace, true}, // applied, then refused by the quota applier
		{rpctypes.ErrGRPCStopped, true}, // after the proposal
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max (4141 vs. 1024)"), true},
		{status.Error(codes.Unknown, "raft: stopped"), true},
		{status.Error(codes.Internal, "boom"), true},
		{rpctypes.ErrGRPCNoLeader, false},
		{rpctypes.ErrGRPCNotCapable, false},
		{rpctypes.ErrGRPCRequestTooManyRequests, false},
		{rpctypes.ErrGRPCPermissionDenied, false},
		{rpctypes.ErrGRPCAuthOldRevision, false},
		{rpctypes.ErrGRPCInvalidAuthToken, false},
		{rpctypes.ErrGRPCDuplicateKey, false},
		{rpctypes.ErrGRPCTooManyOps, false},
		{rpctypes.ErrGRPCRequestTooLarge, false},
		{rpctypes.ErrGRPCCompacted, false},
		{rpctypes.ErrGRPCLeaseNotFound, false},
		{rpctypes.ErrGRPCCorrupt, false},
		{rpctypes.ErrGRPCUserEmpty, false},                            // no sentinel: its code says it is a refusal
		{status.Error(codes.Unknown, "raft proposal dropped"), false}, // dropped before any log held it
		{status.Error(codes.ResourceExhausted, "grpc: received message larger than max (3000000 vs. 2097152)"), false},
	} {
		err := mapError(bg, MethodPut, "e:1", true, 1024, tc.err)
		if got := errors.Is(err, ErrUnknownOutcome); got != tc.unknown {
			t.Errorf("write failing with %v: unknown outcome = %v, want %v", tc.err, got, tc.unknown)
		}
		if got := err.Unknown; got != tc.unknown {
			t.Errorf("write failing with %v: Unknown = %v, want %v", tc.err, got, tc.unknown)
		}
		if read := mapError(bg, MethodRange, "e:1", false, 1024, tc.err); errors.Is(read, ErrUnknownOutcome) {
			t.Errorf("a read is never of unknown outcome: %v", read)
		}
	}
}

// A request that waited for an endpoint until its context ended was never
// sent: the error says so in fields, matches ErrUnavailable and the context
// error, and a write's outcome is known.
func TestNotSent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	err := notSent(ctx, MethodPut, []string{"a:1", "b:2"}, nil, codes.DeadlineExceeded, "context deadline exceeded")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("not sent = %v, want ErrUnavailable and DeadlineExceeded, known outcome", err)
	}
	if !err.NotSent || err.Endpoint != "" || strings.Join(err.Tried, ",") != "a:1,b:2" {
		t.Errorf("not sent: NotSent %v, Endpoint %q, Tried %q", err.NotSent, err.Endpoint, err.Tried)
	}
	want := "conn: Put not sent (tried a:1, b:2): context deadline exceeded"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("status.Code = %v, want DeadlineExceeded", status.Code(err))
	}
}

// Errors users build from the exported fields, as they do to fake failures
// in their tests, never panic and match the sentinels their fields imply.
func TestUserBuiltError(t *testing.T) {
	for _, tc := range []struct {
		err   *Error
		text  string
		is    []error
		isNot []error
	}{
		{&Error{Method: MethodPut, Code: codes.Unavailable, Message: "boom"},
			"conn: Put: boom", []error{ErrUnavailable}, []error{ErrUnknownOutcome, context.DeadlineExceeded}},
		{&Error{Method: MethodPut, Endpoint: "e:1", Code: codes.Unavailable, Message: "boom", Unknown: true},
			"conn: Put on e:1: boom; the write may or may not have been applied", []error{ErrUnavailable, ErrUnknownOutcome}, nil},
		{&Error{Method: MethodRange, Code: codes.OutOfRange, Message: rpctypes.ErrorDesc(rpctypes.ErrGRPCCompacted)},
			"conn: Range: etcdserver: mvcc: required revision has been compacted", []error{ErrCompacted}, []error{ErrUnavailable}},
		{&Error{Code: codes.DeadlineExceeded, NotSent: true},
			"conn: call not sent: gRPC code DeadlineExceeded", []error{ErrUnavailable, context.DeadlineExceeded}, []error{ErrUnknownOutcome}},
		{&Error{Code: codes.Canceled},
			"conn: call: gRPC code Canceled", []error{context.Canceled}, []error{ErrUnavailable}},
		{&Error{}, "conn: call: gRPC code OK", []error{ErrUnknown}, []error{ErrUnavailable, ErrUnknownOutcome}},
	} {
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("Error() = %q, want %q", got, tc.text)
		}
		for _, target := range tc.is {
			if !errors.Is(tc.err, target) {
				t.Errorf("%q does not match %v", tc.err, target)
			}
		}
		for _, target := range tc.isNot {
			if errors.Is(tc.err, target) {
				t.Errorf("%q matches %v", tc.err, target)
			}
		}
		if status.Code(tc.err) == codes.OK {
			t.Errorf("status.Code(%q) = OK for a failed call", tc.err)
		}
	}
}

// The client's refusal of a transaction over --max-txn-ops matches the
// sentinel the server's refusal matches.
func TestTooManyOpsBothSides(t *testing.T) {
	if ErrTooManyOps != op.ErrTooManyOps {
		t.Fatal("conn.ErrTooManyOps is not op.ErrTooManyOps")
	}
	ops := make([]op.Op, op.DefaultMaxOps+1)
	for i := range ops {
		ops[i] = op.Delete(kv.New().WithKey("k"))
	}
	_, err := (&Conn{}).Txn(context.Background(), op.NewTxn().Then(ops...))
	if !errors.Is(err, ErrTooManyOps) || !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("client-side txn size check = %v, want ErrTooManyOps and ErrInvalidRequest", err)
	}
	server := mapError(context.Background(), MethodTxn, "e:1", true, 0, rpctypes.ErrGRPCTooManyOps)
	if !errors.Is(server, ErrTooManyOps) {
		t.Errorf("server's refusal = %v, want ErrTooManyOps", server)
	}
}

func TestErrorStringsStartWithPackage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{
		mapError(ctx, MethodPut, "e:1", true, 0, status.Error(codes.Canceled, "context canceled")),
		mapError(context.Background(), MethodPut, "e:1", true, 0, status.Error(codes.Unavailable, "error reading from server: EOF")),
		mapError(context.Background(), MethodRange, "e:1", false, 0, rpctypes.ErrGRPCCompacted),
		notSent(ctx, MethodRange, []string{"e:1"}, nil, codes.Canceled, "context canceled"),
		&Error{},
	} {
		if !strings.HasPrefix(err.Error(), "conn: ") {
			t.Errorf("%q does not start with the package name", err)
		}
	}
}

// A request gRPC could not encode never left the client, though a member
// was picked and the peer is known: a write that failed so is not sent, and
// its outcome is known (not applied). The error is the one grpc-go's encode
// returns for a message protobuf refuses to marshal.
func TestMarshalFailureNotSent(t *testing.T) {
	_, merr := proto.Marshal(&pb.AuthRoleAddRequest{Name: "bad\xff"})
	if merr == nil {
		t.Fatal("protobuf marshalled a string that is not UTF-8")
	}
	encodeErr := status.Errorf(codes.Internal, "grpc: error while marshaling: %v", merr.Error())
	p := &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2379}}
	c := &Conn{}
	e := c.callError(context.Background(), "/etcdserverpb.Auth/RoleAdd", p, true, encodeErr)
	if !e.NotSent || e.Unknown || errors.Is(e, ErrUnknownOutcome) {
		t.Errorf("write gRPC could not encode: %+v (NotSent %v, Unknown %v), want not sent, outcome known", e, e.NotSent, e.Unknown)
	}
	// Any other Internal error after the pick stays a maybe-applied write.
	e = c.callError(context.Background(), "/etcdserverpb.Auth/RoleAdd", p, true, status.Error(codes.Internal, "transport: something else"))
	if e.NotSent || !errors.Is(e, ErrUnknownOutcome) {
		t.Errorf("write failing with another Internal error after the pick: %+v, want sent, unknown outcome", e)
	}
}
