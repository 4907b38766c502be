package stages

import (
	"fmt"
	"html"
	"math"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
)

// The run-provenance export: what belongs to a run rather than to its
// results (the commit, the machine, every stage's key and wall time),
// written into the exported copy of the report. None of it is stage code:
// no stage function reaches it, so it is in no key.

// A RunExport is one run of the study as its export sees it.
type RunExport struct {
	Root     string          // the project directory (a git checkout, or not)
	Store    *pipeline.Store // the store holding the report and the timings
	Graph    *pipeline.Graph // the graph of the run's parameters
	LockPath string          // the profile's lock, as the run wrote it
	Profile  string
	State    *session.State // what the run did (session.Session.Record)
}

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

// ExportReport fills the exported copy of the report (report.html in the
// store's directory) with what belongs to this run rather than to the
// results: the commit, its date and whether the tree was dirty, the
// toolchain and module versions of the binary, and every stage's key,
// whether it ran or was cached, and its wall time. The stored report object
// keeps the placeholders, so it stays byte-identical for the same results.
func (r RunExport) ExportReport() error {
	path := filepath.Join(r.Store.Dir, "report.html")
	b, err := pipeline.ReadRegularFile(path, math.MaxInt64, "the report")
	if err != nil {
		return err
	}
	return r.Store.WriteErr("report.html", pipeline.WriteFileAtomic(path, []byte(r.Fill(b))))
}

// Fill is a stored report (with its placeholders) filled in with this run's
// provenance.
func (r RunExport) Fill(report []byte) string {
	g := readGit(r.Root)
	commit := g.Commit
	if g.Dirty {
		commit += " (with uncommitted changes)"
	}
	out := strings.ReplaceAll(string(report), PlaceholderCommit, html.EscapeString(commit))
	out = strings.ReplaceAll(out, PlaceholderCommitDate, html.EscapeString(g.Date))
	return strings.Replace(out, MarkerRunProvenance, r.provenanceHTML(g), 1)
}

func (r RunExport) provenanceHTML(g gitInfo) string {
	st := r.State
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
	t.WriteString(r.MethodTimings())
	names := make([]string, 0, len(st.Stages))
	for n := range st.Stages {
		if r.Graph.Stage(n) != nil {
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
		} else if tm, ok := session.ReadTiming(r.Store.Dir, s.Key); ok {
			secs = fmt.Sprintf("(%.2f)", tm.Seconds) // when it was computed
		}
		fmt.Fprintf(&t, "<tr><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td style=\"text-align:right\">%s</td></tr>\n", html.EscapeString(n), key, s.State, secs)
	}
	t.WriteString("</tbody></table></details>\n</section>")
	return t.String()
}

// FigureArtifact is where a figure stage's files go in a published crate,
// less their extension ("figures/nn-terrain-heat" for the stage
// "figures/nn/terrain-heat"); ok is false for a stage that draws no figure.
func FigureArtifact(stage string) (name string, ok bool) {
	fig, ok := strings.CutPrefix(stage, "figures/")
	return "figures/" + strings.ReplaceAll(fig, "/", "-"), ok
}
