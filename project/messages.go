package project

import (
	"fmt"
	"io"

	"github.com/repro-dev/repro/stages"
)

// What a run prints of the report's messages. A grid-edge finding is a
// result the report discusses, not a mistake: a run calls it a note, and
// prints one line that counts the notes unless verbose (issue 27).
// Everything else the report stored is a warning.

// reportMessages prints what the report stored: its warnings (each when
// rendered in this run or verbose, else a count), and its grid-edge findings
// as notes (each only when verbose, else a count; none when quiet).
func reportMessages(w io.Writer, msgs []string, rendered, verbose, quiet bool) {
	warns, notes := stages.SplitNotes(msgs)
	printWarnings(w, warns, rendered, verbose)
	if !quiet {
		printNotes(w, "repro: report: ", notes, verbose)
	}
}

// printWarnings prints the report's warnings (mathematics shown as TeX
// source because KaTeX is not installed, ...): each of them when the report
// was rendered in this run or verbose is set, else one line that counts
// them, so that a run that changed nothing does not repeat twenty lines,
// and a warning is never silently dropped.
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
