package kv

import "github.com/getcd/getcd/internal/wire"

// The no-copy compilers are for getcd's own packages (see internal/wire):
// in wire.Alias mode the message's key, range end and value share memory
// with the request's strings instead of copying them. Such a message goes
// straight to gRPC, which only reads it; it is never written or given to
// user code.
func init() {
	wire.Range = Request.rangeRequest
	wire.Put = Request.putRequest
	wire.Delete = Request.deleteRequest
	wire.RangeOf = Request.rangeFields
	wire.PutOf = Request.putFields
	wire.DeleteOf = Request.deleteFields
}
