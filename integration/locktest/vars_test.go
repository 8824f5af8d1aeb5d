package locktest

import "github.com/getcd/getcd/conn"

var (
	errLeaseNotFound  = conn.ErrLeaseNotFound
	errUnknownOutcome = conn.ErrUnknownOutcome
)
