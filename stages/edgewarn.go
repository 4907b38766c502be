package stages

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
)

// What a run says about the report: the warnings the report stage stored
// with its output, and the grid-edge findings of the tuning stages. A
// grid-edge finding (a tuned value chosen on the edge of its grid, a best
// epoch late in its budget) is a result the report discusses, not a
// mistake: a run calls it a note (issue 27).

// ReportOutcome is the report stage's outcome in a run, nil if the run did
// not reach it.
func ReportOutcome(res *pipeline.RunResult) *pipeline.Outcome {
	if res == nil {
		return nil
	}
	return res.Outcomes[StageReport]
}

// ReportInLock is the report stage's entry in lock, nil if none.
func ReportInLock(lock *pipeline.Lock) *pipeline.LockStage {
	return lock.Stages[StageReport]
}

// IsEdgeNote reports whether a stored report warning is a grid-edge
// finding, in the words of Edges.Warnings.
func IsEdgeNote(msg string) bool {
	return (strings.Contains(msg, ": the chosen ") && strings.Contains(msg, " tried (")) ||
		strings.Contains(msg, ": the best validation error comes at epoch ")
}

// SplitNotes divides messages into warnings and grid-edge notes.
func SplitNotes(msgs []string) (warns, notes []string) {
	for _, m := range msgs {
		if IsEdgeNote(m) {
			notes = append(notes, m)
		} else {
			warns = append(warns, m)
		}
	}
	return warns, notes
}

// StoredWarnings are the warnings the report stage stored with its output
// (rec is its record; nil for none).
func StoredWarnings(st *pipeline.Store, rec *pipeline.Record) []string {
	if rec == nil {
		return nil
	}
	b, err := st.Get(rec.Outputs["value"])
	if err != nil {
		return nil
	}
	var out struct{ Warnings []string }
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	for i, w := range out.Warnings {
		out.Warnings[i] = strings.TrimPrefix(w, "report: ")
	}
	return out.Warnings
}

// EdgeNotes are the grid-edge findings of the tuning stages of a run whose
// chosen value lies on the edge of its grid or whose best epoch comes at
// the end of its budget, each prefixed by its stage's name, in the order
// of the names.
func EdgeNotes(st *pipeline.Store, res *pipeline.RunResult) []string {
	var names []string
	for n := range res.Outcomes {
		if isTuningStage(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var notes []string
	for _, n := range names {
		o := res.Outcomes[n]
		if o.Record == nil {
			continue
		}
		b, err := st.Get(o.Record.Outputs["value"])
		if err != nil {
			continue
		}
		var v struct {
			Edges         json.RawMessage
			MomentumEdges *Edges
			Panels        []struct{ Edges Edges }
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		var es []Edges
		var e Edges
		if len(v.Edges) > 0 && string(v.Edges) != "null" && json.Unmarshal(v.Edges, &e) == nil {
			es = append(es, e)
		}
		if v.MomentumEdges != nil {
			es = append(es, *v.MomentumEdges)
		}
		for _, pn := range v.Panels {
			es = append(es, pn.Edges)
		}
		for _, e := range es {
			for _, msg := range e.Warnings() {
				notes = append(notes, n+": "+msg)
			}
		}
	}
	return notes
}

// isTuningStage reports whether stage n chooses among configurations (and so
// records where its choice lies): a tuning stage, not one of its seeds.
func isTuningStage(n string) bool {
	for _, p := range []string{RegTunePrefix, RegExtraTunePrefix, StageClsTune, StageLinearRidge, StageLinSGDSummary, StageLogisticSGD, StageKeras} {
		if strings.HasPrefix(n, p) && !strings.Contains(strings.TrimPrefix(n, p), "seed=") {
			return true
		}
	}
	return false
}
