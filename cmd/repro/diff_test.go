package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

// gitIn runs git in dir with a fixed identity and no signing.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), old, new, 1)
	if s == string(b) {
		t.Fatalf("%s: %q not found", path, old)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readLockFile(t *testing.T, path string) *pipeline.Lock {
	t.Helper()
	l, err := pipeline.ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDiffBetweenCommits builds a git repository from the project, runs the
// quick profile and commits its lock; then commits a change of a parameter
// and of a function, run by a binary built from the changed source; and
// checks what `repro diff HEAD~1 HEAD` says in every format.
// textDiffReasons reads the stages of a text diff printed with -v: a group
// line "changed, N stages: REASON; REASON", then its stages indented.
func textDiffReasons(out string) map[string]string {
	reasons := map[string]string{}
	group := regexp.MustCompile(`^(changed|changed through inputs|added|removed), \d+ stages?: (.*)$`)
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if m := group.FindStringSubmatch(line); m != nil {
			cur = m[2]
		} else if name, ok := strings.CutPrefix(line, "    "); ok && cur != "" {
			reasons[name] = cur
		} else {
			cur = ""
		}
	}
	return reasons
}

func TestDiffBetweenCommits(t *testing.T) {
	t.Parallel()
	// The reference run's store and lock: the first commit leaves the lock
	// out, the run below runs nothing and rewrites it, the second commits it.
	dir := warmProject(t)
	gitIn(t, dir, "init", "-q")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "rm", "-q", "--cached", "repro.quick.lock")
	gitIn(t, dir, "commit", "-q", "-m", "project without a lock")
	runQuick(t, dir)
	gitIn(t, dir, "add", "repro.quick.lock")
	gitIn(t, dir, "commit", "-q", "-m", "lock A")
	lockA := readLockFile(t, filepath.Join(dir, "repro.quick.lock"))

	// A parameter and a function change. The binary fingerprints its own
	// embedded source, so the changed code needs a binary built from it.
	replaceIn(t, filepath.Join(dir, "params.quick.yaml"), "ridge_lambdas: [1.0e-6, 1.0e-3]", "ridge_lambdas: [1.0e-6, 1.0e-1]")
	replaceIn(t, filepath.Join(dir, "stages/placement.go"), "off := xs / 2", "off := xs/2 + 0*xs")
	// Built -trimpath as the shared binary is: its build settings (which
	// are part of every key) are then the same, and without -trimpath the
	// go command records CGO_CFLAGS and the like besides.
	binB := filepath.Join(t.TempDir(), "repro-b")
	if out, err := exec.Command("go", "-C", dir, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", binB, "./cmd/repro").CombinedOutput(); err != nil {
		t.Fatalf("building the changed repro: %v\n%s", err, out)
	}
	if out, err := exec.Command(binB, "-C", dir, "run", "--profile", "quick").CombinedOutput(); err != nil {
		t.Fatalf("run at B: %v\n%s", err, out)
	}
	gitIn(t, dir, "commit", "-q", "-a", "-m", "ridge lambdas; gridSplit")
	lockB := readLockFile(t, filepath.Join(dir, "repro.quick.lock"))

	diff := func(args ...string) result {
		return runRepro(t, dir, append([]string{"diff", "--profile", "quick"}, args...)...)
	}

	// Text: stage reasons (-v: every stage, under its group's reasons).
	r := diff("HEAD~1", "HEAD", "-v")
	if r.code != 0 {
		t.Fatalf("diff: exit %d\n%s", r.code, r.stderr)
	}
	reasons := textDiffReasons(r.stdout)
	for stage, want := range map[string]string{
		"terrain/split":               "code: fingerprint ",
		"linear/ridge":                "params: lambdas [0.000001,0.001] -> [0.000001,0.1]",
		"figures/terrain-predictions": "inputs: linear/ridge changed",
	} {
		if !strings.Contains(reasons[stage], want) {
			t.Errorf("%s: reasons %q lack %q\n%s", stage, reasons[stage], want, r.stdout)
		}
	}
	if !strings.Contains(reasons["terrain/split"], "changed stages.gridSplitAt") {
		t.Errorf("terrain/split's code reason does not name gridSplitAt: %q", reasons["terrain/split"])
	}
	if _, ok := reasons["digits/load"]; ok {
		t.Error("an unchanged stage is listed")
	}
	// The fingerprints of the binary's own source that diff computed are
	// kept for the next diff (REPRO_CACHE_DIR here, the store otherwise).
	cache := t.TempDir()
	if r := runReproEnv(t, dir, []string{proj.CacheDirEnv + "=" + cache}, "diff", "--profile", "quick", "HEAD~1", "HEAD"); r.code != 0 {
		t.Fatalf("diff: exit %d\n%s", r.code, r.stderr)
	}
	if kept, _ := filepath.Glob(filepath.Join(cache, "fingerprints-*.json")); len(kept) != 1 {
		t.Errorf("diff kept fingerprints %v in %s, want one file", kept, cache)
	}
	// A binary built from B's source knows which declarations each stage
	// reaches, and names only those.
	out, _ := exec.Command(binB, "-C", dir, "diff", "--profile", "quick", "-v", "HEAD~1", "HEAD").Output()
	if textDiffReasons(string(out))["terrain/split"] != "code: changed stages.gridSplitAt" {
		t.Errorf("B's binary: terrain/split's reason is not exactly the gridSplitAt change:\n%s", out)
	}

	// JSON: metric deltas and figures, checked against the two lock files.
	r = diff("HEAD~1", "HEAD", "--json")
	var d struct {
		Changed []pipeline.StageChange  `json:"stages_changed"`
		Metrics []pipeline.MetricChange `json:"metrics_changed"`
		Same    int                     `json:"metrics_unchanged"`
		Figures []pipeline.FigureChange `json:"figures_changed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, r.stdout)
	}
	ma, mb := lockA.Metrics(), lockB.Metrics()
	var wantMoved []string
	for name, a := range ma {
		if b, ok := mb[name]; ok && a != b {
			wantMoved = append(wantMoved, name)
		}
	}
	if len(wantMoved) == 0 {
		t.Fatal("the parameter change moved no metric: pick another change for this test")
	}
	var moved []string
	for _, m := range d.Metrics {
		moved = append(moved, m.Name)
		if m.A == nil || m.B == nil || *m.A != ma[m.Name] || *m.B != mb[m.Name] || *m.Change != mb[m.Name]-ma[m.Name] {
			t.Errorf("metric %s: got %v -> %v, want %v -> %v", m.Name, m.A, m.B, ma[m.Name], mb[m.Name])
		}
		if ma[m.Name] != 0 && (m.Relative == nil || *m.Relative != (mb[m.Name]-ma[m.Name])/math.Abs(ma[m.Name])) {
			t.Errorf("metric %s: relative change %v", m.Name, m.Relative)
		}
	}
	sort.Strings(moved)
	sort.Strings(wantMoved)
	if strings.Join(moved, ",") != strings.Join(wantMoved, ",") || d.Same != len(ma)-len(wantMoved) {
		t.Errorf("metrics changed %v (%d unchanged), want %v (%d)", moved, d.Same, wantMoved, len(ma)-len(wantMoved))
	}
	var wantFigs, figs []string
	for name, sb := range lockB.Stages {
		for o, h := range sb.Outputs {
			if pipeline.IsFigure(o) && lockA.Stages[name].Outputs[o] != h {
				wantFigs = append(wantFigs, name+"/"+o)
			}
		}
	}
	for _, f := range d.Figures {
		figs = append(figs, f.Name())
	}
	sort.Strings(wantFigs)
	if len(figs) == 0 || strings.Join(figs, ",") != strings.Join(wantFigs, ",") {
		t.Errorf("figures %v, want %v", figs, wantFigs)
	}

	// Markdown: renders as tables.
	r = diff("HEAD~1", "HEAD", "--md")
	tables := markdownTables([]byte(r.stdout))
	if len(tables) < 1 || strings.Join(tables[0][0], "|") != "metric|A|B|change|relative|noise" {
		t.Fatalf("--md parses into %d tables, want the metrics table first:\n%s", len(tables), r.stdout)
	}
	if got := len(tables[0]) - 1; got != len(wantMoved) {
		t.Errorf("metrics table has %d rows, want %d", got, len(wantMoved))
	}
	if !strings.Contains(r.stdout, "`"+wantFigs[0]+"`") {
		t.Errorf("--md lacks the figure %s", wantFigs[0])
	}

	// --fail-on: 1 on a violated rule, 0 when every rule holds, 2 on a bad rule.
	top := d.Metrics[0]
	down, up := top.Name+" < 0", top.Name+" > 0"
	if *top.Change > 0 {
		down, up = up, down
	}
	r = diff("HEAD~1", "HEAD", "--fail-on", down, "--fail-on", "digits.* < -50%")
	if r.code != 1 || !strings.Contains(r.stderr, "rule violated: "+down+": "+top.Name+" changed") {
		t.Errorf("violated rule: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "FAIL "+down) {
		t.Errorf("the text output does not show the violation:\n%s", r.stdout)
	}
	r = diff("HEAD~1", "HEAD", "--md", "--fail-on", up, "--fail-on", "terrain.*.test_mse > +1000%")
	if r.code != 0 || !strings.Contains(r.stdout, "✅ no metric violates `"+up+"` or `terrain.*.test_mse > +1000%`") {
		t.Errorf("rules that hold: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range []string{"terrain.* = 5", "terrain.*.test_mse > 5 apples", "> 5%", "terrain.*"} {
		r = diff("HEAD~1", "HEAD", "--fail-on", up, "--fail-on", bad)
		if r.code != 2 || !strings.Contains(r.stderr, "want NAME_GLOB OP VALUE") || r.stdout != "" {
			t.Errorf("--fail-on %q: exit %d, stderr %q, stdout %d bytes; want 2, the expected syntax, nothing printed", bad, r.code, r.stderr, len(r.stdout))
		}
	}
	if r = diff("HEAD~1", "HEAD", "--fail-on", "no.such.metric > 0"); r.code != 2 || !strings.Contains(r.stderr, "matches no metric") {
		t.Errorf("a rule matching nothing: exit %d, %s", r.code, r.stderr)
	}

	// Defaults: HEAD against the working tree, which matches HEAD now.
	if r = diff(); r.code != 0 || !strings.Contains(r.stdout, "no differences") {
		t.Errorf("diff HEAD vs working tree: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A revision without the lock, an unknown revision, too many revisions.
	if r = diff("HEAD~2", "HEAD"); r.code != 2 || !strings.Contains(r.stderr, "has no repro.quick.lock") {
		t.Errorf("revision without a lock: exit %d, %s", r.code, r.stderr)
	}
	if r = diff("no-such-rev"); r.code != 2 || !strings.Contains(r.stderr, `"no-such-rev" is not a commit`) {
		t.Errorf("unknown revision: exit %d, %s", r.code, r.stderr)
	}

	// --html: a figure of A missing from the store is rebuilt in a
	// temporary worktree sharing the store, and shown beside B's.
	h := d.Figures[0].A
	obj := filepath.Join(dir, "artifacts/objects", h[:2], h)
	if err := os.Remove(obj); err != nil {
		t.Fatal(err)
	}
	r = diff("HEAD~1", "HEAD", "--html", "diff-html")
	if r.code != 0 {
		t.Fatalf("--html: exit %d\n%s", r.code, r.stderr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "diff-html/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), `<img src="data:image/svg`); n != 2*len(wantFigs) {
		t.Errorf("index.html holds %d images, want %d (A and B of each changed figure)\n%s", n, 2*len(wantFigs), r.stderr)
	}
	if _, err := os.Stat(obj); err != nil {
		t.Errorf("A's figure was not rebuilt into the store: %v", err)
	}
	// The summary first, the stages last and folded; B's report beside
	// the page with the numbers that changed marked old -> new (the
	// lambda and the test MSE of the learning curve's ridge, at least).
	ps := string(page)
	if i, j, k := strings.Index(ps, `id="summary"`), strings.Index(ps, `id="figures"`), strings.Index(ps, `stages changed, added or removed`); i < 0 || j < i || k < j {
		t.Errorf("index.html: summary at %d, figures at %d, folded stages at %d; want them in that order", i, j, k)
	}
	if !regexp.MustCompile(`[1-9]\d* numbers? of the report changed from A`).MatchString(ps) || !strings.Contains(ps, `<iframe class="report" src="report.html"`) {
		t.Errorf("index.html does not show the marked report")
	}
	marked, err := os.ReadFile(filepath.Join(dir, "diff-html/report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`<del class="repro-was"[^>]*>[^<]+</del> <span class="num repro-changed" data-prov="n\d+"[^>]*><ins>[^<]+</ins></span>`).Match(marked) {
		t.Errorf("report.html marks no changed number as <del>old</del> <ins>new</ins>")
	}
	if wt := gitIn(t, dir, "worktree", "list"); strings.Count(wt, "\n") != 0 {
		t.Errorf("the temporary worktree was not removed:\n%s", wt)
	}
}

// markdownTables parses GFM and returns each table's rows of cell texts.
func markdownTables(src []byte) [][][]string {
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var tables [][][]string
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		tb, ok := n.(*east.Table)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		var rows [][]string
		for row := tb.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for c := row.FirstChild(); c != nil; c = c.NextSibling() {
				var b strings.Builder
				ast.Walk(c, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
					if t, ok := n.(*ast.Text); ok && entering {
						b.Write(t.Segment.Value(src))
					}
					return ast.WalkContinue, nil
				})
				cells = append(cells, b.String())
			}
			rows = append(rows, cells)
		}
		tables = append(tables, rows)
		return ast.WalkSkipChildren, nil
	})
	return tables
}
