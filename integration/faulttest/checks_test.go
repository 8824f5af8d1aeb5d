package faulttest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
	"go.etcd.io/etcd/tests/v3/robustness/model"
	"go.etcd.io/etcd/tests/v3/robustness/report"
	"go.etcd.io/etcd/tests/v3/robustness/validate"
	"go.uber.org/zap"

	"github.com/getcd/getcd/integration/coalescecheck"
)

// validateHistory runs etcd's own validators (tests/robustness/validate at
// the version the module requires): linearizability of the key-value
// history with failed writes patched from what the members persisted,
// serializable reads at a revision against the replayed WAL, and the watch
// rules (ordered, unique, atomic, bookmarkable, resumable, reliable,
// prev_kv, is_create, filters). When the history fails, porcupine's
// visualization is written to an HTML file whose path is returned with the
// error.
func validateHistory(lg *zap.Logger, name string, reports []report.ClientReport, persisted []model.EtcdRequest) (string, error) {
	return runValidators(lg, name, validate.Config{ExpectRevisionUnique: true}, false, reports, persisted)
}

// validatorViolations is the violation, if any, of what runValidators
// returned: its error and where the failing history was saved.
func validatorViolations(path string, err error) []string {
	if err == nil {
		return nil
	}
	v := "etcd's validators: " + err.Error()
	if path != "" {
		v += " (history: " + path + ")"
	}
	return []string{v}
}

// runValidators runs etcd's validators with cfg and saves a failing
// history as porcupine HTML named after name, returning its path: one that
// is not linearizable, whose linearization search ran out of time
// (porcupine's Unknown; what it explored is shown), or that passed it and
// failed the watch or serializable-read checks (the history is shown as
// linearized). decided makes a search that ended undecided (out of time)
// a failure too.
func runValidators(lg *zap.Logger, name string, cfg validate.Config, decided bool, reports []report.ClientReport, persisted []model.EtcdRequest) (string, error) {
	res := validate.ValidateAndReturnVisualize(lg, cfg, reports, persisted, 2*time.Minute)
	err := res.Error()
	if err == nil && decided && res.Linearization.Status != validate.Success {
		err = errors.New("linearization " + string(res.Linearization.Status))
	}
	if err == nil {
		return "", nil
	}
	// etcd's DeadlineExceeded (porcupine overran its time) leaves no
	// visualization.
	switch res.Linearization.Status {
	case validate.Failure, validate.Timeout, validate.Success:
		path := filepath.Join(artifactDir(), fmt.Sprintf("getcd-fault-%s-%d.html", name, time.Now().UnixNano()))
		if verr := porcupine.VisualizePath(res.Linearization.Model, res.Linearization.Info, path); verr != nil {
			return "", fmt.Errorf("%w (visualization failed: %v)", err, verr)
		}
		return path, err
	}
	return "", err
}

// artifactDir is where failing histories are written: $GETCD_FAULT_ARTIFACTS,
// else the system's temporary directory (not the test's, which is removed).
func artifactDir() string {
	if d := os.Getenv("GETCD_FAULT_ARTIFACTS"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		return d
	}
	return os.TempDir()
}

// The checkers below cover what etcd's validators do not take.

// checkAppliedOnce: no unique value persisted twice (coalescecheck.AppliedOnce).
func checkAppliedOnce(persisted []model.EtcdRequest) []string {
	return coalescecheck.AppliedOnce(persisted)
}

// checkRevisionsMonotonic checks that the revisions one client observes in
// the headers of its successful calls, in the order it made them, never go
// backwards: a client that failed over to a member behind the one it left
// would see that. etcd's validators check each response against the
// model, not one client's view across members.
func checkRevisionsMonotonic(reports []report.ClientReport) []string {
	var out []string
	for _, r := range reports {
		ops := append([]porcupine.Operation(nil), r.KeyValue...)
		sort.Slice(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
		var last int64
		for _, o := range ops {
			resp := o.Output.(model.MaybeEtcdResponse)
			if resp.Error != "" || resp.Revision == 0 {
				continue
			}
			if resp.Revision < last {
				out = append(out, fmt.Sprintf("client %d saw revision %d after %d", r.ClientID, resp.Revision, last))
			}
			last = max(last, resp.Revision)
		}
	}
	return out
}

// leaseOutcome is what a kept-alive lease's handle reported and what the
// server said about the lease at the end.
type leaseOutcome struct {
	ID         int64
	Lost       bool  // the handle ended with an error matching lease.ErrLeaseLost
	Ended      bool  // the handle ended for another reason before the run's end
	ServerTTL  int64 // TimeToLive at the end: -1 when the server no longer has it
	HandleNote string
}

// checkLeases holds the handles to the server's word: no lease reported
// alive that the server no longer has, and none reported lost that the
// server still has. etcd's model knows leases only as grant and revoke
// requests; it has no notion of a keep-alive or of what a client believes.
func checkLeases(leases []leaseOutcome) []string {
	var out []string
	for _, l := range leases {
		switch {
		case l.Ended:
			out = append(out, fmt.Sprintf("keep-alive of lease %x ended early: %s", l.ID, l.HandleNote))
		case !l.Lost && l.ServerTTL < 0:
			out = append(out, fmt.Sprintf("lease %x reported alive (%s), the server no longer has it", l.ID, l.HandleNote))
		case l.Lost && l.ServerTTL >= 0:
			out = append(out, fmt.Sprintf("lease %x reported lost (%s), the server still has it (TTL %d)", l.ID, l.HandleNote, l.ServerTTL))
		}
	}
	return out
}

func joinViolations(v []string) string {
	if len(v) > 5 {
		v = append(v[:5:5], fmt.Sprintf("... %d more", len(v)-5))
	}
	return strings.Join(v, "; ")
}
