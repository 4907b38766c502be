package revdiff

import (
	"fmt"
	"io"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// TextGrouped is Text with the stages grouped by shared reasons, the
// first few of each group named (every stage with verbose, and the stages
// changed through their inputs grouped by their own reasons).
func TextGrouped(d *pipeline.LockDiff, verbose bool) string {
	return TextWith(d, func(w io.Writer) { printGroups(w, groups(d, verbose), verbose) })
}

// groups groups the stages of a diff: added, removed, changed for the
// same reasons of their own, and changed only because an input changed.
// Unless verbose, the last are one group (their reasons name each stage's
// own inputs, so they rarely repeat).
func groups(d *pipeline.LockDiff, verbose bool) []*project.StageGroup {
	var gr project.Grouper
	for _, s := range d.Added {
		gr.Add("added", []string{"not in A"}, s)
	}
	for _, s := range d.Removed {
		gr.Add("removed", []string{"not in B"}, s)
	}
	for _, c := range d.Changed {
		state, reasons := "changed", c.Reasons
		if !c.Direct() {
			state = "changed through inputs"
			if !verbose {
				reasons = []string{"inputs: an upstream stage changed"}
			}
		}
		gr.Add(state, reasons, c.Stage)
	}
	return gr.Groups
}

// printGroups writes the stages section of a diff: its groups, at most
// maxGroups of them unless verbose.
func printGroups(w io.Writer, groups []*project.StageGroup, verbose bool) {
	const maxGroups = 12
	shown := groups
	if !verbose && len(groups) > maxGroups+1 {
		shown = groups[:maxGroups]
	}
	project.PrintGroups(w, shown, verbose)
	if rest := groups[len(shown):]; len(rest) > 0 {
		n := 0
		for _, g := range rest {
			n += len(g.Stages)
		}
		fmt.Fprintf(w, "and %d more groups of %d stages (-v lists them)\n", len(rest), n)
	}
}
