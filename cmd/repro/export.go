package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/repro-dev/repro/pipeline"
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
func exportReport(p *project, st *runState) error {
	path := filepath.Join(p.store.Dir, "report.html")
	b, err := os.ReadFile(path)
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

func runProvenance(p *project, st *runState, g gitInfo) string {
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
	t.WriteString(methodTimings(p, st))
	names := make([]string, 0, len(st.Stages))
	for n := range st.Stages {
		if p.graph.Stage(n) != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	t.WriteString("<details><summary>Every stage of this run: key, cached or run, wall time</summary><table class=\"timings\"><thead><tr><th>stage</th><th>key</th><th>this run</th><th style=\"text-align:right\">wall time (s)</th></tr></thead><tbody>\n")
	for _, n := range names {
		s := st.Stages[n]
		key := s.Key
		if len(key) > 12 {
			key = key[:12]
		}
		secs := ""
		if s.State == "ran" {
			secs = fmt.Sprintf("%.2f", s.Seconds)
		}
		fmt.Fprintf(&t, "<tr><td><code>%s</code></td><td><code>%s</code></td><td>%s</td><td style=\"text-align:right\">%s</td></tr>\n", html.EscapeString(n), key, s.State, secs)
	}
	t.WriteString("</tbody></table></details>\n</section>")
	return t.String()
}

// methodTimings is the table of epochs and wall-clock time to the best
// validation error of each digits method, from the stored results (epochs)
// and this run's stage timings (seconds). A stage taken from the cache has
// no time in this run, so the table says so.
func methodTimings(p *project, st *runState) string {
	lock, err := pipeline.ReadLock(p.lockPath())
	if err != nil {
		return ""
	}
	load := func(stage string) ([]byte, error) {
		ls, ok := lock.Stages[stage]
		if !ok {
			return nil, fmt.Errorf("%s is not in the lock", stage)
		}
		return p.store.Get(ls.Outputs["value"])
	}
	ms, err := stages.Methods(load)
	if err != nil {
		return ""
	}
	var t strings.Builder
	t.WriteString("<table class=\"timings\"><caption>Digits: epochs and wall-clock time to the best validation error, per seed, in this run (time to best = the stage's wall time × best epoch / epochs run).</caption>")
	t.WriteString("<thead><tr><th>method</th><th style=\"text-align:right\">epoch of best validation error</th><th style=\"text-align:right\">epochs run</th><th style=\"text-align:right\">wall time per seed (s)</th><th style=\"text-align:right\">time to best (s)</th></tr></thead><tbody>\n")
	for _, m := range ms {
		var be, er, wall, tb float64
		timed := 0
		for i, s := range m.Stages {
			be += float64(m.BestEpoch[i])
			er += float64(m.EpochsRun[i])
			if r, ok := st.Stages[s]; ok && r.State == "ran" && r.Key == lock.Stages[s].Key {
				timed++
				wall += r.Seconds
				if m.EpochsRun[i] > 0 {
					tb += r.Seconds * float64(m.BestEpoch[i]) / float64(m.EpochsRun[i])
				}
			}
		}
		n := float64(len(m.Stages))
		w, b := "cached in this run", "—"
		if timed > 0 {
			w = fmt.Sprintf("%.2f", wall/float64(timed))
			b = fmt.Sprintf("%.2f", tb/float64(timed))
		}
		fmt.Fprintf(&t, "<tr><td>%s</td><td style=\"text-align:right\">%.1f</td><td style=\"text-align:right\">%.1f</td><td style=\"text-align:right\">%s</td><td style=\"text-align:right\">%s</td></tr>\n",
			html.EscapeString(m.Name), be/n, er/n, w, b)
	}
	t.WriteString("</tbody></table>\n")
	return t.String()
}

// reportWarnings prints the report's rendering warnings (for example
// mathematics shown as TeX source because KaTeX is not installed), so they
// are seen on every run, cached or not.
func reportWarnings(p *project, rec *pipeline.Record) {
	if rec == nil {
		return
	}
	b, err := p.store.Get(rec.Outputs["value"])
	if err != nil {
		return
	}
	var out struct{ Warnings []string }
	if json.Unmarshal(b, &out) != nil {
		return
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(os.Stderr, "repro: report: warning:", strings.TrimPrefix(w, "report: "))
	}
}
