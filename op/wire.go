package op

import (
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/internal/wire"
)

// The builders' compilers in a chosen mode, set by packages kv and compare
// in their init (which runs before this package's variables are set).
var (
	rangeWire    = wire.Range.(func(kv.Request, wire.Mode) (*pb.RangeRequest, error))
	putWire      = wire.Put.(func(kv.Request, wire.Mode) (*pb.PutRequest, error))
	deleteWire   = wire.Delete.(func(kv.Request, wire.Mode) (*pb.DeleteRangeRequest, error))
	condFields   = wire.CondOf.(func(compare.Cond, wire.Mode) (wire.CompareFields, error))
	rangeFields  = wire.RangeOf.(func(kv.Request, wire.Mode) (wire.RangeFields, error))
	putFields    = wire.PutOf.(func(kv.Request, wire.Mode) (wire.PutFields, error))
	deleteFields = wire.DeleteOf.(func(kv.Request, wire.Mode) (wire.DeleteFields, error))
)
