package conn

import (
	"context"
	"errors"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

// The administration calls' errors map to their own sentinels, and a
// definite rejection of a write never reports an unknown outcome.
func TestMapErrorAdminSentinels(t *testing.T) {
	for _, tc := range []struct {
		grpcErr error
		want    error
	}{
		{rpctypes.ErrGRPCMemberNotFound, ErrMemberNotFound},
		{rpctypes.ErrGRPCPeerURLExist, ErrPeerURLExist},
		{rpctypes.ErrGRPCMemberBadURLs, ErrMemberBadURLs},
		{rpctypes.ErrGRPCMemberNotLearner, ErrMemberNotLearner},
		{rpctypes.ErrGRPCLearnerNotReady, ErrLearnerNotReady},
		{rpctypes.ErrGRPCTooManyLearners, ErrTooManyLearners},
		{rpctypes.ErrGRPCBadLeaderTransferee, ErrBadLeaderTransferee},
		{rpctypes.ErrGRPCPermissionNotGranted, ErrPermissionNotGranted},
		{rpctypes.ErrGRPCInvalidAuthMgmt, ErrInvalidAuthMgmt},
		{rpctypes.ErrGRPCRoleEmpty, ErrRoleEmpty},
		{rpctypes.ErrGRPCUserEmpty, ErrUserEmpty},
		{rpctypes.ErrGRPCWrongDowngradeVersionFormat, ErrWrongDowngradeVersionFormat},
		{rpctypes.ErrGRPCInvalidDowngradeTargetVersion, ErrInvalidDowngradeTargetVersion},
		{rpctypes.ErrGRPCNoInflightDowngrade, ErrNoInflightDowngrade},
		{rpctypes.ErrGRPCDowngradeInProcess, ErrDowngradeInProcess},
	} {
		err := mapError(context.Background(), "/etcdserverpb.Cluster/MemberAdd", "e:1", true, 0, tc.grpcErr)
		if !errors.Is(err, tc.want) {
			t.Errorf("mapError(%v) = %v, want %v", tc.grpcErr, err, tc.want)
		}
		if errors.Is(err, ErrUnknownOutcome) {
			t.Errorf("mapError(%v) = %v, a definite rejection reported as an unknown outcome", tc.grpcErr, err)
		}
	}
}
