package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
	"github.com/repro-dev/repro/stages"
)

// gitInfo describes the checkout the run happened in.
type gitInfo struct {
	Commit, Date string
	Dirty        bool
}

func readGit(root string) gitInfo {
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	g := gitInfo{Commit: git("rev-parse", "HEAD"), Date: git("log", "-1", "--format=%cI")}
	if g.Commit == "" {
		g.Commit, g.Date = "none (not a git checkout)", "unknown"
		return g
	}
	g.Dirty = git("status", "--porcelain", "--untracked-files=no") != ""
	return g
}

// exportReport fills the exported copy of the report with what belongs to
// this run rather than to the results: the commit, its date and whether the
// tree was dirty, the toolchain and module versions of the binary, and every
// stage's key, whether it ran or was cached, and its wall time. The stored
// report object keeps the placeholders, so it stays byte-identical for the
// same results.
func exportReport(p *project, st *session.State) error {
	path := filepath.Join(p.store.Dir, "report.html")
	b, err := pipeline.ReadRegularFile(path, math.MaxInt64, "the report")
	if err != nil {
		return err
	}
	g := readGit(p.root)
	commit := g.Commit
	if g.Dirty {
		commit += " (with uncommitted changes)"
	}
	out := strings.ReplaceAll(string(b), stages.PlaceholderCommit, html.EscapeString(commit))
	out = strings.ReplaceAll(out, stages.PlaceholderCommitDate, html.EscapeString(g.Date))
	out = strings.Replace(out, stages.MarkerRunProvenance, runProvenance(p, st, g), 1)
	return p.store.WriteErr("report.html", pipeline.WriteFileAtomic(path, []byte(out)))
}

func runProvenance(p *project, st *session.State, g gitInfo) string {
	var t strings.Builder
	t.WriteString(`<section id="run-provenance" class="run-provenance">` + "\n")
	fmt.Fprintf(&t, "<p>Commit <code>%s</code>, committed %s, uncommitted changes: %v. This run finished at %s and took %.1f s of wall time with %s.</p>\n",
		html.EscapeString(g.Commit), html.EscapeString(g.Date), g.Dirty, st.Finished, st.Seconds, html.EscapeString(pipeline.Toolchain()))
	if bi, ok := debug.ReadBuildInfo(); ok {
		t.WriteString("<details><summary>Module versions of the binary</summary><table><thead><tr><th>module</th><th>version</th></tr></thead><tbody>\n")
		deps := bi.Deps
		sort.Slice(deps, func(i, j int) bool { return deps[i].Path < deps[j].Path })
		for _, d := range deps {
			fmt.Fprintf(&t, "<tr><td><code>%s</code></td><td><code>%s</code></td></tr>\n", html.EscapeString(d.Path), html.EscapeString(d.Version))
		}
		t.WriteString("</tbody></table></details>\n")
	}
	t.WriteString(methodTimings(p))
	names := make([]string, 0, len(st.Stages))
	for n := range st.Stages {
		if p.graph.Stage(n) != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	t.WriteString("<details><summary>Every stage of this run: key, cached or run, wall time (in brackets: when a cached stage was computed)</summary><table class=\"timings\"><thead><tr><th>stage</th><th>key</th><th>this run</th><th style=\"text-align:right\">wall time (s)</th></tr></thead><tbody>\n")
	for _, n := range names {
		s := st.Stages[n]
		key := s.Key
		if len(key) > 12 {
			key = key[:12]
		}
		secs := ""
		if s.State == "ran" {
			secs = fmt.Sprintf("%.2f", s.Seconds)
		} else if tm, ok := session.ReadTiming(p.store.Dir, s.Key); ok {
			secs = fmt.Sprintf("(%.2f)", tm.Seconds) // when it was computed
		}
		fmt.Fprintf(&t, "<tr><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td style=\"text-align:right\">%s</td></tr>\n", html.EscapeString(n), key, s.State, secs)
	}
	t.WriteString("</tbody></table></details>\n</section>")
	return t.String()
}

// reportWarnings prints the report's warnings (mathematics shown as TeX
// source because KaTeX is not installed, an optimum on the edge of its grid,
// ...): each of them when the report was rendered in this run or verbose is
// set, else one line that counts them, so that a run that changed nothing
// does not repeat twenty lines, and a warning is never silently dropped.
func reportWarnings(w io.Writer, p *project, rec *pipeline.Record, rendered, verbose bool) {
	ws := storedWarnings(p.store, rec)
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

// storedWarnings are the warnings the report stage stored with its output.
func storedWarnings(st *pipeline.Store, rec *pipeline.Record) []string {
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
