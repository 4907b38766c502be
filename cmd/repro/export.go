package main

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"repro/pipeline"
)

// timingsMarker is where the exported report gets this run's timings. The
// stored report object holds the marker, never the timings, so it stays
// byte-identical across runs; the exported copy says how this run went.
const timingsMarker = "<!--repro:run-timings-->"

// exportReport writes this run's stage timings into the exported report.
func exportReport(p *project, o *pipeline.Outcome, st *runState) error {
	path := filepath.Join(p.store.Dir, "report.html")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), timingsMarker) {
		return nil
	}
	names := make([]string, 0, len(st.Stages))
	for n := range st.Stages {
		if p.graph.Stage(n) != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var t strings.Builder
	fmt.Fprintf(&t, "<p>This run finished at %s and took %.1f s of wall time.</p>\n", st.Finished, st.Seconds)
	t.WriteString("<table class=\"timings\"><thead><tr><th>stage</th><th>key</th><th>this run</th><th style=\"text-align:right\">wall time (s)</th></tr></thead><tbody>\n")
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
	t.WriteString("</tbody></table>\n")
	out := strings.Replace(string(b), timingsMarker, t.String(), 1)
	return pipeline.WriteFileAtomic(path, []byte(out))
}
