package maintenance

import (
	"context"
	"fmt"
	"strconv"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/internal/connx"
	"github.com/getcd/getcd/internal/unary"
)

// AlarmType is the kind of an alarm a member raised.
type AlarmType int32

// Alarm types. The zero AlarmType is none.
const (
	// AlarmNoSpace: the member's database reached its quota; the cluster
	// refuses writes (conn.ErrNoSpace) until the space is freed (compact,
	// defragment) and the alarm disarmed.
	AlarmNoSpace AlarmType = AlarmType(pb.AlarmType_NOSPACE)
	// AlarmCorrupt: the member's data differs from the others'; the
	// cluster refuses requests (conn.ErrCorrupt).
	AlarmCorrupt AlarmType = AlarmType(pb.AlarmType_CORRUPT)
)

func (t AlarmType) String() string {
	switch t {
	case 0:
		return "NONE"
	case AlarmNoSpace:
		return "NOSPACE"
	case AlarmCorrupt:
		return "CORRUPT"
	}
	return "AlarmType(" + strconv.Itoa(int(t)) + ")"
}

// Alarm is one raised alarm.
type Alarm struct {
	MemberID uint64
	Type     AlarmType
}

// AlarmResponse is the answer to Alarms, Disarm and DisarmAll.
type AlarmResponse struct {
	Header conn.Header
	// Alarms are the raised alarms for Alarms, and the alarms that were
	// disarmed for Disarm and DisarmAll.
	Alarms []Alarm
}

func alarmsOf(in []*pb.AlarmMember) []Alarm {
	if len(in) == 0 {
		return nil
	}
	out := make([]Alarm, len(in))
	for i, a := range in {
		out[i] = Alarm{MemberID: a.MemberID, Type: AlarmType(a.Alarm)}
	}
	return out
}

func alarm(ctx context.Context, c *conn.Conn, r Request, kind connx.Kind, m *pb.AlarmRequest) (*AlarmResponse, error) {
	resp := &pb.AlarmResponse{}
	if err := unary.Call(ctx, c, r.timeout, MethodAlarm, kind, m, resp); err != nil {
		return nil, err
	}
	return &AlarmResponse{Header: conn.HeaderOf(resp.Header), Alarms: alarmsOf(resp.Alarms)}, nil
}

// Alarms lists the alarms raised in the cluster.
func Alarms(ctx context.Context, c *conn.Conn, r Request) (*AlarmResponse, error) {
	if err := r.check("alarm_list", 0); err != nil {
		return nil, err
	}
	return alarm(ctx, c, r, connx.Read, &pb.AlarmRequest{Action: pb.AlarmRequest_GET})
}

// Disarm disarms the alarm r.WithAlarm names. The answer lists it if it
// was raised, and is empty if it was not.
func Disarm(ctx context.Context, c *conn.Conn, r Request) (*AlarmResponse, error) {
	const req = "alarm_disarm"
	if err := r.check(req, disarmOpts); err != nil {
		return nil, err
	}
	switch {
	case !r.set.has(optAlarm):
		return nil, invalid(req, "alarm", "the alarm to disarm is required (WithAlarm)")
	case r.member == 0:
		return nil, invalid(req, "member_id", "a member ID is required; 0 is no member (DisarmAll disarms every alarm)")
	case r.alarm != AlarmNoSpace && r.alarm != AlarmCorrupt:
		return nil, invalid(req, "alarm", "alarm type must be AlarmNoSpace or AlarmCorrupt, got "+r.alarm.String())
	}
	return alarm(ctx, c, r, connx.Write, &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: r.member, Alarm: pb.AlarmType(r.alarm)})
}

// DisarmAll lists the raised alarms and disarms each, one call per alarm.
// It stops at the first failure; the error then comes with the alarms
// disarmed so far in the answer, which is otherwise the list of all it
// disarmed.
func DisarmAll(ctx context.Context, c *conn.Conn, r Request) (*AlarmResponse, error) {
	if err := r.check("alarm_disarm_all", 0); err != nil {
		return nil, err
	}
	list, err := alarm(ctx, c, r, connx.Read, &pb.AlarmRequest{Action: pb.AlarmRequest_GET})
	if err != nil {
		return nil, err
	}
	out := &AlarmResponse{Header: list.Header}
	for _, a := range list.Alarms {
		resp, err := alarm(ctx, c, r, connx.Write, &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: a.MemberID, Alarm: pb.AlarmType(a.Type)})
		if err != nil {
			return out, fmt.Errorf("maintenance: disarm all: disarmed %d of %d alarms: %w", len(out.Alarms), len(list.Alarms), err)
		}
		out.Header = resp.Header
		out.Alarms = append(out.Alarms, resp.Alarms...)
	}
	return out, nil
}
