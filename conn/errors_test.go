package conn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
		{status.Error(codes.Unavailable, "connection refused"), ErrUnavailable},
		{status.Error(codes.ResourceExhausted, "grpc: trying to send message larger than max (10 vs. 5)"), ErrRequestTooLarge},
		{status.Error(codes.Internal, "boom"), ErrUnknown},
	} {
		err := mapError(bg, MethodRange, "127.0.0.1:2379", false, tc.grpcErr)
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
	err := mapError(ctx, MethodRange, "e:1", false, status.Error(codes.Canceled, "context canceled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: got %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	err = mapError(dctx, MethodPut, "e:1", true, status.Error(codes.DeadlineExceeded, "context deadline exceeded"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("deadline on write: got %v, want DeadlineExceeded and ErrUnknownOutcome", err)
	}
	if !strings.Contains(err.Error(), "may or may not have been applied") {
		t.Errorf("unknown outcome not spelled out: %q", err)
	}
}

func TestOutcomeOfWrites(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		err     error
		unknown bool
	}{
		{status.Error(codes.Unavailable, "transport is closing"), true},
		{rpctypes.ErrGRPCTimeout, true},
		{rpctypes.ErrGRPCLeaderChanged, true},
		{rpctypes.ErrGRPCNoLeader, false},
		{rpctypes.ErrGRPCPermissionDenied, false},
		{rpctypes.ErrGRPCDuplicateKey, false},
		{rpctypes.ErrGRPCRequestTooLarge, false},
		{rpctypes.ErrGRPCNoSpace, false},
	} {
		err := mapError(bg, MethodPut, "e:1", true, tc.err)
		if got := errors.Is(err, ErrUnknownOutcome); got != tc.unknown {
			t.Errorf("write failing with %v: unknown outcome = %v, want %v", tc.err, got, tc.unknown)
		}
		if read := mapError(bg, MethodRange, "e:1", false, tc.err); errors.Is(read, ErrUnknownOutcome) {
			t.Errorf("a read is never of unknown outcome: %v", read)
		}
	}
}

func TestErrorStringsStartWithPackage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{
		mapError(ctx, MethodPut, "e:1", true, status.Error(codes.Canceled, "context canceled")),
		mapError(context.Background(), MethodPut, "e:1", true, status.Error(codes.Unavailable, "error reading from server: EOF")),
		mapError(context.Background(), MethodRange, "e:1", false, rpctypes.ErrGRPCCompacted),
	} {
		if !strings.HasPrefix(err.Error(), "conn: ") {
			t.Errorf("%q does not start with the package name", err)
		}
	}
}
