// Clusterstatus prints a table of an etcd cluster's members: who leads,
// versions, database sizes, raft progress and alarms, each asked of the
// member itself.
//
//	go run ./examples/clusterstatus
//
// It lists the members, then asks each member's first client URL for its
// status, with a short timeout so that a member that does not answer shows
// up as such instead of holding up the table. The connection keeps one
// connection per member it asked, so refreshing the table dials nobody
// again.
//
// It uses the cluster in ETCD_ENDPOINTS (comma-separated host:port) if set,
// and otherwise starts an embedded etcd for the run.
package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/getcd/getcd/conn"
	"github.com/getcd/getcd/examples/internal/demo"
	"github.com/getcd/getcd/maintenance"
	"github.com/getcd/getcd/membership"
)

// main hands run to demo.Quiet (examples/internal/demo), which finds etcd and
// sets a deadline. run is the example itself: all it needs is a context, a
// writer and the endpoints of a cluster.
func main() {
	demo.Quiet("clusterstatus", 30*time.Second, run)
}

func run(ctx context.Context, out io.Writer, endpoints []string) error {
	c, err := conn.New(ctx, conn.Config{Endpoints: endpoints})
	if err != nil {
		return err
	}
	defer c.Close()

	members, err := membership.List(ctx, c, membership.New().WithLinearizable())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cluster %x: %d members\n", members.Header.ClusterID, len(members.Members))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENDPOINT\tVERSION\tDB SIZE\tIN USE\tLEADER\tLEARNER\tTERM\tINDEX\tAPPLIED\tERRORS")
	status := maintenance.New().WithTimeout(2 * time.Second)
	for _, m := range members.Members {
		id := strconv.FormatUint(m.ID, 16)
		if !m.Started() || len(m.ClientURLs) == 0 {
			fmt.Fprintf(tw, "%s\t(not started)\t-\t-\t-\t-\t-\t%v\t-\t-\t-\t-\n", id, m.IsLearner)
			continue
		}
		ep := m.ClientURLs[0]
		st, err := maintenance.Status(ctx, c, status.WithEndpoint(ep))
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\t%v\t-\t-\t-\t%s\n", id, m.Name, ep, m.IsLearner, err)
			continue
		}
		errs := strings.Join(st.Errors, "; ")
		if errs == "" {
			errs = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%v\t%d\t%d\t%d\t%s\n", id, m.Name, ep, st.Version,
			size(st.DBSize), size(st.DBSizeInUse), st.IsLeader(), st.IsLearner, st.RaftTerm, st.RaftIndex, st.RaftAppliedIndex, errs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	alarms, err := maintenance.Alarms(ctx, c, maintenance.New())
	if err != nil {
		return err
	}
	if len(alarms.Alarms) == 0 {
		fmt.Fprintln(out, "no alarms")
	}
	for _, a := range alarms.Alarms {
		fmt.Fprintf(out, "alarm %s on member %x\n", a.Type, a.MemberID)
	}
	return nil
}

// size prints a byte count with a binary unit.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
