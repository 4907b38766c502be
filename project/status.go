package project

import (
	"fmt"
	"io"
	"strings"

	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
)

// The stages `repro status`, `run --dry-run` and `diff` list, grouped by
// shared reasons: a change upstream of a grid of hundreds of points is one
// group, not hundreds of lines.

// A StageGroup is the stages that share a state and the same reasons.
type StageGroup struct {
	State   string
	Reasons []string
	Stages  []string
}

// Grouper collects stages into groups by state and reasons, in the order
// the first stage of each group was added.
type Grouper struct {
	Groups []*StageGroup
	index  map[string]*StageGroup
}

// Add puts stage into the group of state and reasons.
func (gr *Grouper) Add(state string, reasons []string, stage string) {
	k := state + "\x00" + strings.Join(reasons, "\x00")
	g, ok := gr.index[k]
	if !ok {
		if gr.index == nil {
			gr.index = map[string]*StageGroup{}
		}
		g = &StageGroup{State: state, Reasons: reasons}
		gr.index[k] = g
		gr.Groups = append(gr.Groups, g)
	}
	g.Stages = append(g.Stages, stage)
}

// GroupStatus groups the stages that are not fresh by state and reasons,
// in the order their first stage appears.
func GroupStatus(sts []pipeline.StageStatus) []*StageGroup {
	var gr Grouper
	for _, s := range sts {
		if s.State != pipeline.StateFresh {
			gr.Add(s.State, s.Reasons, s.Stage)
		}
	}
	return gr.Groups
}

// PrintGroups writes groups, their reasons first; a group's stages are
// listed in full with verbose, else the first few of them.
func PrintGroups(w io.Writer, groups []*StageGroup, verbose bool) {
	const shown = 4
	for _, g := range groups {
		n := fmt.Sprintf("%d %s", len(g.Stages), numfmt.Plural(len(g.Stages), "stage", "stages"))
		// Stage names and reasons come from parameters and locks: one
		// line each, nothing a terminal or a CI log would obey.
		fmt.Fprintf(w, "%s, %s: %s\n", g.State, n, TermText(strings.Join(g.Reasons, "; ")))
		names := g.Stages
		if !verbose && len(names) > shown+1 {
			names = append(names[:shown:shown], fmt.Sprintf("and %d more (-v lists them)", len(g.Stages)-shown))
		}
		if verbose {
			for _, s := range names {
				fmt.Fprintf(w, "    %s\n", TermText(s))
			}
			continue
		}
		fmt.Fprintf(w, "    %s\n", TermText(strings.Join(names, ", ")))
	}
}

// StatusSummary is the first line of status: how many stages are in each
// state.
func StatusSummary(sts []pipeline.StageStatus, profile string) string {
	if c := stateCounts(sts); c != "all fresh" {
		return fmt.Sprintf("%s (%d stages, profile %s)", c, len(sts), profile)
	}
	return fmt.Sprintf("all %d stages fresh (profile %s)", len(sts), profile)
}

// PrintStatus writes status: its summary line, then the stages that are
// not fresh grouped by shared reasons. With patterns, both are of the
// stages the patterns match (matched); the upstream stages they need are
// one more line, and their groups follow it with verbose.
func PrintStatus(w io.Writer, sts []pipeline.StageStatus, matched map[string]bool, patterns []string, profile string, verbose bool) {
	own, up := splitMatched(sts, matched, patterns)
	if len(patterns) == 0 {
		fmt.Fprintln(w, StatusSummary(sts, profile))
		PrintGroups(w, GroupStatus(sts), verbose)
		return
	}
	fmt.Fprintln(w, matchedSummary(own, patterns, profile))
	PrintGroups(w, GroupStatus(own), verbose)
	if len(up) == 0 {
		return
	}
	line := fmt.Sprintf("and %d upstream %s %s: %s", len(up), numfmt.Plural(len(up), "stage", "stages"), needs(own), stateCounts(up))
	if !verbose && len(GroupStatus(up)) > 0 {
		line += " (-v lists them)"
	}
	fmt.Fprintln(w, line)
	if verbose {
		PrintGroups(w, GroupStatus(up), verbose)
	}
}

// PrintDryRun writes run --dry-run: what would run, grouped by shared
// reasons as status groups them (every stage of each group with verbose),
// and a last line that counts them.
func PrintDryRun(w io.Writer, sts []pipeline.StageStatus, matched map[string]bool, patterns []string, force, verbose bool) {
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
	PrintGroups(w, GroupStatus(would), verbose)
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

// matchedSummary is StatusSummary for the stages some patterns match.
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
