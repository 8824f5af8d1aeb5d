package wire

import pb "go.etcd.io/etcd/api/v3/etcdserverpb"

// CompareMessage builds the message of a validated condition; it shares
// the fields' bytes.
func CompareMessage(f *CompareFields) *pb.Compare {
	m := &pb.Compare{Result: pb.Compare_CompareResult(f.Result), Target: pb.Compare_CompareTarget(f.Target), Key: f.Key, RangeEnd: f.End}
	switch f.Target {
	case TargetValue:
		m.TargetUnion = &pb.Compare_Value{Value: f.Value}
	case TargetVersion:
		m.TargetUnion = &pb.Compare_Version{Version: f.N}
	case TargetCreate:
		m.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: f.N}
	case TargetMod:
		m.TargetUnion = &pb.Compare_ModRevision{ModRevision: f.N}
	case TargetLease:
		m.TargetUnion = &pb.Compare_Lease{Lease: f.N}
	}
	return m
}

// TxnMessage builds the message of a validated transaction; it shares the
// fields' bytes.
func TxnMessage(f *TxnFields) *pb.TxnRequest {
	return txnMessage(f, TopTxn)
}

func txnMessage(f *TxnFields, i int32) *pb.TxnRequest {
	t := f.Part(i)
	m := &pb.TxnRequest{}
	if len(t.Compare) > 0 {
		m.Compare = make([]*pb.Compare, len(t.Compare))
		for j := range t.Compare {
			m.Compare[j] = CompareMessage(&t.Compare[j])
		}
	}
	m.Success = opMessages(f, t.Success)
	m.Failure = opMessages(f, t.Failure)
	return m
}

func opMessages(f *TxnFields, ops []OpFields) []*pb.RequestOp {
	if len(ops) == 0 {
		return nil
	}
	out := make([]*pb.RequestOp, len(ops))
	for j := range ops {
		o := &ops[j]
		var r pb.RequestOp
		switch o.Kind {
		case OpRange:
			r.Request = &pb.RequestOp_RequestRange{RequestRange: RangeMessage(&o.Range)}
		case OpPut:
			r.Request = &pb.RequestOp_RequestPut{RequestPut: PutMessage(&o.Put)}
		case OpDelete:
			r.Request = &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: DeleteMessage(&o.Delete)}
		case OpTxn:
			r.Request = &pb.RequestOp_RequestTxn{RequestTxn: txnMessage(f, o.Txn)}
		}
		out[j] = &r
	}
	return out
}

// RangeMessage builds the message of validated range fields.
func RangeMessage(f *RangeFields) *pb.RangeRequest {
	return &pb.RangeRequest{
		Key:               f.Key,
		RangeEnd:          f.End,
		Limit:             f.Limit,
		Revision:          f.Revision,
		SortOrder:         pb.RangeRequest_SortOrder(f.SortOrder),
		SortTarget:        pb.RangeRequest_SortTarget(f.SortTarget),
		Serializable:      f.Serializable,
		KeysOnly:          f.KeysOnly,
		CountOnly:         f.CountOnly,
		MinModRevision:    f.MinModRevision,
		MaxModRevision:    f.MaxModRevision,
		MinCreateRevision: f.MinCreateRevision,
		MaxCreateRevision: f.MaxCreateRevision,
	}
}

// PutMessage builds the message of validated put fields.
func PutMessage(f *PutFields) *pb.PutRequest {
	return &pb.PutRequest{Key: f.Key, Value: f.Value, Lease: f.Lease, PrevKv: f.PrevKV, IgnoreValue: f.IgnoreValue, IgnoreLease: f.IgnoreLease}
}

// DeleteMessage builds the message of validated delete fields.
func DeleteMessage(f *DeleteFields) *pb.DeleteRangeRequest {
	return &pb.DeleteRangeRequest{Key: f.Key, RangeEnd: f.End, PrevKv: f.PrevKV}
}
