package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

// A stageGroup is the stages that share a state and the same reasons.
type stageGroup struct {
	state   string
	reasons []string
	stages  []string
}

// groupStatus groups the stages that are not fresh by state and reasons, in
// the order their first stage appears.
func groupStatus(sts []pipeline.StageStatus) []*stageGroup {
	var groups []*stageGroup
	index := map[string]*stageGroup{}
	for _, s := range sts {
		if s.State == pipeline.StateFresh {
			continue
		}
		k := s.State + "\x00" + strings.Join(s.Reasons, "\x00")
		g, ok := index[k]
		if !ok {
			g = &stageGroup{state: s.State, reasons: s.Reasons}
			index[k] = g
			groups = append(groups, g)
		}
		g.stages = append(g.stages, s.Stage)
	}
	return groups
}

// printGroups writes groups, their reasons first; a group's stages are
// listed in full with verbose, else the first few of them.
func printGroups(w io.Writer, groups []*stageGroup, verbose bool) {
	const shown = 4
	for _, g := range groups {
		n := fmt.Sprintf("%d %s", len(g.stages), numfmt.Plural(len(g.stages), "stage", "stages"))
		// Stage names and reasons come from parameters and locks: one
		// line each, nothing a terminal or a CI log would obey.
		fmt.Fprintf(w, "%s, %s: %s\n", g.state, n, proj.TermText(strings.Join(g.reasons, "; ")))
		names := g.stages
		if !verbose && len(names) > shown+1 {
			names = append(names[:shown:shown], fmt.Sprintf("and %d more (-v lists them)", len(g.stages)-shown))
		}
		if verbose {
			for _, s := range names {
				fmt.Fprintf(w, "    %s\n", proj.TermText(s))
			}
			continue
		}
		fmt.Fprintf(w, "    %s\n", proj.TermText(strings.Join(names, ", ")))
	}
}

// statusSummary is the first line of status: how many stages are in each
// state.
func statusSummary(sts []pipeline.StageStatus, profile string) string {
	count := map[string]int{}
	for _, s := range sts {
		count[s.State]++
	}
	if count[pipeline.StateFresh] == len(sts) {
		return fmt.Sprintf("all %d stages fresh (profile %s)", len(sts), profile)
	}
	var parts []string
	for _, st := range []string{pipeline.StateStale, pipeline.StateMayRerun, pipeline.StateFresh} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	return fmt.Sprintf("%s (%d stages, profile %s)", strings.Join(parts, ", "), len(sts), profile)
}

// groupDiff groups the stages of a diff: added, removed, changed for the
// same reasons of their own, and changed only because an input changed.
// Unless verbose, the last are one group (their reasons name each stage's
// own inputs, so they rarely repeat).
func groupDiff(d *pipeline.LockDiff, verbose bool) []*stageGroup {
	var groups []*stageGroup
	if len(d.Added) > 0 {
		groups = append(groups, &stageGroup{state: "added", reasons: []string{"not in A"}, stages: d.Added})
	}
	if len(d.Removed) > 0 {
		groups = append(groups, &stageGroup{state: "removed", reasons: []string{"not in B"}, stages: d.Removed})
	}
	index := map[string]*stageGroup{}
	for _, c := range d.Changed {
		state, reasons := "changed", c.Reasons
		if !c.Direct() {
			state = "changed through inputs"
			if !verbose {
				reasons = []string{"inputs: an upstream stage changed"}
			}
		}
		k := state + "\x00" + strings.Join(reasons, "\x00")
		g, ok := index[k]
		if !ok {
			g = &stageGroup{state: state, reasons: reasons}
			index[k] = g
			groups = append(groups, g)
		}
		g.stages = append(g.stages, c.Stage)
	}
	return groups
}

// printDiffGroups writes the stages section of a diff: its groups, at most
// maxGroups of them unless verbose.
func printDiffGroups(w io.Writer, groups []*stageGroup, verbose bool) {
	const maxGroups = 12
	shown := groups
	if !verbose && len(groups) > maxGroups+1 {
		shown = groups[:maxGroups]
	}
	printGroups(w, shown, verbose)
	if rest := groups[len(shown):]; len(rest) > 0 {
		n := 0
		for _, g := range rest {
			n += len(g.stages)
		}
		fmt.Fprintf(w, "and %d more groups of %d stages (-v lists them)\n", len(rest), n)
	}
}

// printStatus writes status: its summary line, then the stages that are not
// fresh grouped by shared reasons. With patterns, both are of the stages the
// patterns match (matched); the upstream stages they need are one more line,
// and their groups follow it with verbose.
func printStatus(w io.Writer, sts []pipeline.StageStatus, matched map[string]bool, patterns []string, profile string, verbose bool) {
	own, up := splitMatched(sts, matched, patterns)
	if len(patterns) == 0 {
		fmt.Fprintln(w, statusSummary(sts, profile))
		printGroups(w, groupStatus(sts), verbose)
		return
	}
	fmt.Fprintln(w, matchedSummary(own, patterns, profile))
	printGroups(w, groupStatus(own), verbose)
	if len(up) == 0 {
		return
	}
	line := fmt.Sprintf("and %d upstream %s %s: %s", len(up), numfmt.Plural(len(up), "stage", "stages"), needs(own), stateCounts(up))
	if !verbose && len(groupStatus(up)) > 0 {
		line += " (-v lists them)"
	}
	fmt.Fprintln(w, line)
	if verbose {
		printGroups(w, groupStatus(up), verbose)
	}
}

// printDryRun writes run --dry-run: what would run, grouped by shared
// reasons as status groups them (every stage of each group with verbose),
// and a last line that counts them.
func printDryRun(w io.Writer, sts []pipeline.StageStatus, matched map[string]bool, patterns []string, force, verbose bool) {
	var would []pipeline.StageStatus
	for _, s := range sts {
		if s.State == pipeline.StateFresh && !force {
			continue
		}
		if s.State == pipeline.StateFresh {
			s.State, s.Reasons = "fresh, forced", []string{"--force"}
		}
		would = append(would, s)
	}
	printGroups(w, groupStatus(would), verbose)
	line := fmt.Sprintf("%d of %d stages would run", len(would), len(sts))
	if len(patterns) > 0 {
		own, _ := splitMatched(would, matched, patterns)
		line += fmt.Sprintf(" (%d matching %s, %d upstream %s)", len(own), strings.Join(patterns, " "), len(would)-len(own), needs(own))
	}
	fmt.Fprintln(w, line)
}

// splitMatched divides sts into the stages the patterns match and the
// upstream stages they need (all are matched for no patterns).
func splitMatched(sts []pipeline.StageStatus, matched map[string]bool, patterns []string) (own, up []pipeline.StageStatus) {
	for _, s := range sts {
		if len(patterns) == 0 || matched[s.Stage] {
			own = append(own, s)
		} else {
			up = append(up, s)
		}
	}
	return own, up
}

// needs is "it needs" or "they need".
func needs(own []pipeline.StageStatus) string {
	if len(own) == 1 {
		return "it needs"
	}
	return "they need"
}

// matchedSummary is statusSummary for the stages some patterns match.
func matchedSummary(own []pipeline.StageStatus, patterns []string, profile string) string {
	what := fmt.Sprintf("%d %s matching %s", len(own), numfmt.Plural(len(own), "stage", "stages"), strings.Join(patterns, " "))
	if c := stateCounts(own); c != "all fresh" {
		return fmt.Sprintf("%s (%s, profile %s)", c, what, profile)
	}
	return fmt.Sprintf("all %s fresh (profile %s)", what, profile)
}

// stateCounts is "2 stale, 3 may rerun, 4 fresh", or "all fresh".
func stateCounts(sts []pipeline.StageStatus) string {
	count := map[string]int{}
	for _, s := range sts {
		count[s.State]++
	}
	if count[pipeline.StateFresh] == len(sts) {
		return "all fresh"
	}
	var parts []string
	for _, st := range []string{pipeline.StateStale, pipeline.StateMayRerun, pipeline.StateFresh} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	return strings.Join(parts, ", ")
}
