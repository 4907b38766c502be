package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// A grid-edge finding (a tuned value chosen on the edge of its grid, a best
// epoch late in its budget) is a result the report discusses, not a
// mistake: repro run calls it a note, and prints one line that counts the
// notes unless verbose (issue 27). Everything else the report stored is a
// warning, printed as reportWarnings prints it.

// isEdgeNote reports whether a stored report warning is a grid-edge finding,
// in the words of stages.Edges.Warnings.
func isEdgeNote(msg string) bool {
	return (strings.Contains(msg, ": the chosen ") && strings.Contains(msg, " tried (")) ||
		strings.Contains(msg, ": the best validation error comes at epoch ")
}

// splitNotes divides messages into warnings and grid-edge notes.
func splitNotes(msgs []string) (warns, notes []string) {
	for _, m := range msgs {
		if isEdgeNote(m) {
			notes = append(notes, m)
		} else {
			warns = append(warns, m)
		}
	}
	return warns, notes
}

// reportLine is the line repro prints for one message the report stored:
// a note for a grid-edge finding, a warning otherwise.
func reportLine(msg string) string {
	if isEdgeNote(msg) {
		return "repro: report: note: " + msg
	}
	return "repro: report: warning: " + msg
}

// printNotes writes notes one per line (prefix before each) when verbose,
// else one line that counts them; nothing for none.
func printNotes(w io.Writer, prefix string, notes []string, verbose bool) {
	switch {
	case len(notes) == 0:
	case verbose:
		for _, n := range notes {
			fmt.Fprintln(w, prefix+"note: "+n)
		}
	case len(notes) == 1:
		fmt.Fprintln(w, "repro: note: 1 finding on a grid edge or an epoch budget, discussed in the report (repro run -v prints it)")
	default:
		fmt.Fprintf(w, "repro: note: %d findings on grid edges or epoch budgets, discussed in the report (repro run -v prints them)\n", len(notes))
	}
}

// reportMessages prints what the report stored: its warnings as
// reportWarnings does (each when rendered in this run or verbose, else a
// count), and its grid-edge findings as notes (each only when verbose, else
// a count; none when quiet).
func reportMessages(w io.Writer, p *project, rec *pipeline.Record, rendered, verbose, quiet bool) {
	warns, notes := splitNotes(storedWarnings(p.store, rec))
	printWarnings(w, warns, rendered, verbose)
	if !quiet {
		printNotes(w, "repro: report: ", notes, verbose)
	}
}

// printWarnings is reportWarnings for the given messages.
func printWarnings(w io.Writer, ws []string, rendered, verbose bool) {
	switch {
	case len(ws) == 0:
	case rendered || verbose:
		for _, m := range ws {
			fmt.Fprintln(w, "repro: report: warning:", m)
		}
	case len(ws) == 1:
		fmt.Fprintln(w, "repro: report: 1 warning, as when the report was rendered (repro run -v prints it)")
	default:
		fmt.Fprintf(w, "repro: report: %d warnings, as when the report was rendered (repro run -v prints them)\n", len(ws))
	}
}

// edgeWarnings prints, as notes, the grid-edge findings of tuning stages
// whose chosen value lies on the edge of its grid or whose best epoch comes
// at the end of its budget, for a run that did not reach the report (whose
// stored findings reportMessages prints): each with verbose, else one line
// that counts them; nothing when quiet.
func edgeWarnings(w io.Writer, p *project, res *pipeline.RunResult, verbose, quiet bool) {
	if res == nil || quiet {
		return
	}
	if _, ok := res.Outcomes["report"]; ok {
		return
	}
	var names []string
	for n := range res.Outcomes {
		if tuned(n) {
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
		b, err := p.store.Get(o.Record.Outputs["value"])
		if err != nil {
			continue
		}
		var v struct {
			Edges         json.RawMessage
			MomentumEdges *stages.Edges
			Panels        []struct{ Edges stages.Edges }
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		var es []stages.Edges
		var e stages.Edges
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
	printNotes(w, "repro: ", notes, verbose)
}

// tuned reports whether stage n chooses among configurations (and so
// records where its choice lies).
func tuned(n string) bool {
	for _, p := range []string{"neural/regression/tune/", "neural/classification/tune", "linear/ridge", "linear/sgd/summary", "logistic/sgd", "baseline/keras-style"} {
		if strings.HasPrefix(n, p) && !strings.Contains(strings.TrimPrefix(n, p), "seed=") {
			return true
		}
	}
	return false
}
