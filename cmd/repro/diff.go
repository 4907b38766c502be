package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/repro-dev/repro"
	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/gitrev"
	"github.com/repro-dev/repro/pipeline"
)

type diffFlags struct {
	md, json bool
	verbose  bool
	failOn   []string
	html     string
	// computed: B is what the store holds for the current code and
	// parameters (pipeline.Engine.Computed), not a lock file.
	computed bool
	// failOnDiff: exit 1 when the locks differ at all (keys, outputs,
	// metrics, stages, trust).
	failOnDiff bool
}

func newDiffCmd(g *globals) *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff [REV_A [REV_B | --against-computed]]",
		Short: "Compare the results (stages, metrics, figures) recorded in two git revisions' locks",
		Long: `Compare the lock file of the profile (repro.lock, or repro.<profile>.lock)
at git revision REV_A with the one at REV_B. REV_A defaults to HEAD and REV_B
to the lock file in the working tree (the latest run). Revisions are read
with git itself: nothing is checked out and nothing runs.

The output starts with a summary line and the rules, then has three
sections: metrics, with A, B, the change B - A and the relative change
(B - A) / |A|, largest relative change first (unchanged metrics are counted,
not listed); stages added, removed and changed, grouped by why (code: which
declarations; params: which keys, old -> new; inputs: which upstream
stages; files), the first few stages of each group named (-v: every stage,
and the stages changed through their inputs grouped by their own reasons);
and the figures (*.svg, *.png outputs) whose bytes changed. --md prints GitHub-flavoured Markdown for a
pull request or a CI job summary, --json one JSON object.

--fail-on EXPR (repeatable) exits 1 when the change of a metric satisfies
EXPR, naming each violated rule and metric. EXPR is NAME_GLOB OP VALUE:
  NAME_GLOB  a metric name, where * matches any run of characters (dots
             included) and ? any one character: 'terrain.*.test_mse'
  OP         < <= > >=
  VALUE      an absolute change B - A, e.g. -0.005, or a relative change
             (B - A) / |A| with %, e.g. +5% (from A = 0 it is +-infinite)
For example --fail-on 'digits.nn.best.test_accuracy < -0.005' fails when that
accuracy drops by more than 0.005; --fail-on 'terrain.*.test_mse > +5%' when
any terrain test MSE grows by more than 5%. A rule that matches no metric
both sides hold is a usage error, so a misspelt rule cannot pass silently.

--html DIR writes DIR/index.html: the diff, and each changed figure of A and
B side by side, read from the store. A figure of a revision that is not in
the store is rebuilt by running that revision in a temporary git worktree
that shares this store (only its stale stages run); the worktree is removed
afterwards.

--against-computed compares REV_A with what this checkout computed: the
results the store holds for every stage's key under the current code and
parameters (run ` + "`repro run`" + ` first; nothing runs here), whatever the lock
files say. A CI gate must use it: a lock is written by whoever commits it.
--fail-on-difference exits 1 when the two sides differ at all (a stage's
key, outputs or metrics, a stage added or removed, a trust setting), so
'repro diff HEAD --against-computed --fail-on-difference' fails when the
committed lock is not what the job computed, and prints the difference.

Rules may also use the spread of a metric over seeds (NAME.sd beside a mean,
and its per-seed values): VALUE in standard deviations, pooled over A and B,
as in 'digits.*.test_accuracy < -2sd'; or NAME_GLOB significant, e.g.
'* significant': Student's paired t test of the per-seed values of A and B
(seed i against seed i), two-sided, fails at p < 0.05. Each moved metric is
marked within noise (|B - A| <= 2 sd) or beyond noise.

A change of the store settings of the parameter files (store.remote,
store.remote_mode, store.trusted_keys, ...) is shown first, on lines of its
own (TRUST CHANGED), whatever else changed.

Exit codes: 0 no rule violated, 1 a rule violated (or an error), 2 bad usage
(a malformed rule, an unknown revision, a revision without the lock file).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 {
				return usagef("diff takes at most two revisions, got %d: %s", len(args), strings.Join(args, " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(cmd, g, f, args) },
	}
	cmd.Flags().BoolVar(&f.md, "md", false, "print GitHub-flavoured Markdown")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "list every stage of each group, with its own reasons (text output)")
	cmd.Flags().StringArrayVar(&f.failOn, "fail-on", nil, "exit 1 if a metric's change satisfies `EXPR`: NAME_GLOB OP VALUE, e.g. 'terrain.*.test_mse > +5%' (repeatable)")
	cmd.Flags().StringVar(&f.html, "html", "", "write `DIR`/index.html (DIR relative to the project) with the changed figures of A and B side by side")
	cmd.Flags().BoolVar(&f.computed, "against-computed", false, "B is what the store holds for the current code and parameters (after `repro run`), not a lock file")
	cmd.Flags().BoolVar(&f.failOnDiff, "fail-on-difference", false, "exit 1 when A and B differ at all (keys, outputs, metrics, stages, trust settings)")
	return cmd
}

// diffSide is one side of a diff: a git revision, or the working tree.
type diffSide struct {
	rev    string // as given; "" for the working tree
	commit string // full hash
	label  string
	lock   *pipeline.Lock
}

func runDiff(cmd *cobra.Command, g *globals, f *diffFlags, args []string) error {
	// Rules first: a malformed rule is reported before anything is read.
	var rules []pipeline.MetricRule
	for _, e := range f.failOn {
		r, err := pipeline.ParseMetricRule(e)
		if err != nil {
			return usagef("--fail-on %v", err)
		}
		rules = append(rules, r)
	}
	if f.md && f.json {
		return usagef("--md and --json: choose one output format")
	}
	root, err := filepath.Abs(g.dir)
	if err != nil {
		return usageError{err}
	}
	lockName := "repro.lock"
	if g.profile != "" && g.profile != "default" {
		lockName = "repro." + g.profile + ".lock"
	}
	revA := "HEAD"
	if len(args) > 0 {
		revA = args[0]
	}
	a, err := diffReadRev(root, revA, lockName, g.profileName())
	if err != nil {
		return err
	}
	var b *diffSide
	switch {
	case f.computed && len(args) > 1:
		return usagef("--against-computed compares REV_A with what this checkout computed: give one revision, not two")
	case f.computed:
		b, err = diffReadComputed(g, root)
	case len(args) > 1:
		b, err = diffReadRev(root, args[1], lockName, g.profileName())
	default:
		b, err = diffReadWorktree(root, lockName, g.profileName())
	}
	if err != nil {
		return err
	}

	d := pipeline.DiffOptions{Reach: diffReach()}.Diff(a.lock, b.lock)
	d.A.Label, d.B.Label = a.label, b.label
	d.SetTrust(diffTrust(root, a, g.profileName()), diffTrust(root, b, g.profileName()))
	violations, unmatched := d.Check(rules)
	if len(unmatched) > 0 {
		return usagef("--fail-on %q matches no metric that both %s and %s hold (metrics are flat dotted names: see `repro metrics`)", unmatched[0], a.label, b.label)
	}
	if f.html != "" {
		st, err := pipeline.OpenStore(g.storeDir(root))
		if err != nil {
			return err
		}
		dir := f.html
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		if err := diffWriteHTML(cmd.Context(), dir, d, st, root, g.profile, a, b); err != nil {
			return err
		}
	}

	out := cmd.OutOrStdout()
	switch {
	case f.json:
		js, err := d.JSON()
		if err != nil {
			return err
		}
		out.Write(js)
	case f.md:
		io.WriteString(out, diffMarkdown(numericallyIdentical(d)))
	default:
		// The summary and metrics first, then the stages grouped by
		// shared reasons (every stage with -v).
		td := termSafeDiff(numericallyIdentical(d))
		io.WriteString(out, diffTextWith(td, func(w io.Writer) { printDiffGroups(w, groupDiff(td, f.verbose), f.verbose) }))
	}
	for _, t := range d.Trust {
		fmt.Fprintf(os.Stderr, "repro: diff: trust changed: %s\n", termText(t))
	}
	if len(violations) > 0 {
		for _, v := range violations {
			fmt.Fprintf(os.Stderr, "repro: diff: rule violated: %s\n", termText(v.String()))
		}
		return exitError{1}
	}
	if f.failOnDiff && !d.Empty() {
		fmt.Fprintf(os.Stderr, "repro: diff: %s and %s differ: %s\n", termText(a.label), termText(b.label), termText(diffSummary(d)))
		return exitError{1}
	}
	return nil
}

// diffReadComputed is the lock of what the store holds for every stage's
// current key (pipeline.Engine.Computed): what this checkout computed,
// whatever its lock file says. A stage the store lacks is an error.
func diffReadComputed(g *globals, root string) (*diffSide, error) {
	p, err := g.open()
	if err != nil {
		return nil, err
	}
	l, missing, err := p.engine.Computed(p.graph.Stages())
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		flag := ""
		if p.profile != "default" {
			flag = " --profile " + p.profile
		}
		more := ""
		if len(missing) > 3 {
			more = fmt.Sprintf(" and %d more", len(missing)-3)
			missing = missing[:3]
		}
		return nil, fmt.Errorf("--against-computed: the store holds no result for %s%s under the current code and parameters: run `repro run%s` first", termText(strings.Join(missing, ", ")), more, flag)
	}
	l.Profile = p.profile
	return &diffSide{label: "computed", lock: l}, nil
}

// diffTrustSection is the section of the parameter files that decides
// which results are trusted.
const diffTrustSection = "store"

// diffTrust reads a side's trust settings: the store section of
// params.yaml, overlaid by the profile's file, at the side's revision (the
// working tree for the working tree's lock and for computed results), as
// flat keys with their values as JSON. A file that cannot be read or
// parsed is a setting of its own, so that it shows as a change.
func diffTrust(root string, side *diffSide, profile string) map[string]string {
	out := map[string]string{}
	read := func(name string) ([]byte, error) {
		if side.commit != "" {
			return gitrev.Repo{Dir: root}.ReadFile(side.commit, name)
		}
		return pipeline.ReadInputFile(filepath.Join(root, name), 1<<20)
	}
	files := []string{config.ProfileFile("default")}
	if profile != "default" {
		files = append(files, config.ProfileFile(profile))
	}
	for _, name := range files {
		b, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var m map[string]any
		if err == nil {
			m, err = config.ParseYAML(name, b)
		}
		if err != nil {
			out["("+name+")"] = "unreadable"
			continue
		}
		st, ok := m[diffTrustSection].(map[string]any)
		if !ok {
			if v, present := m[diffTrustSection]; present {
				js, _ := json.Marshal(v)
				out[diffTrustSection] = string(js)
			}
			continue
		}
		for k, v := range st {
			js, err := json.Marshal(v)
			if err != nil {
				js = []byte(fmt.Sprint(v))
			}
			out[diffTrustSection+"."+k] = string(js)
		}
	}
	return out
}

// diffReach fingerprints stage functions of this binary's own source, built
// only when a stage's code changed.
func diffReach() func(string) (*pipeline.Code, error) {
	var once sync.Once
	var fp *pipeline.Fingerprinter
	var fpErr error
	return func(fn string) (*pipeline.Code, error) {
		once.Do(func() { fp, fpErr = pipeline.NewFingerprinter(repro.Source) })
		if fpErr != nil {
			return nil, fpErr
		}
		return fp.Reach(fn)
	}
}

// diffReadRev reads the lock file at a git revision, without a checkout.
func diffReadRev(root, rev, lockName, profile string) (*diffSide, error) {
	repo := gitrev.Repo{Dir: root}
	commit, err := repo.Commit(rev)
	if errors.Is(err, gitrev.ErrNotRepo) {
		return nil, usagef("%s is not in a git repository: repro diff compares the lock files of git revisions", root)
	}
	if err != nil {
		return nil, usageError{err}
	}
	short := commit[:7]
	s := &diffSide{rev: rev, commit: commit, label: rev + " (" + short + ")"}
	if strings.HasPrefix(commit, rev) {
		s.label = short
	}
	b, err := repo.ReadFile(commit, lockName)
	if err != nil {
		msg := ""
		if !errors.Is(err, fs.ErrNotExist) {
			msg = ": " + err.Error()
		}
		return nil, usagef("revision %s has no %s (was the %s profile run and its lock committed there?)%s", s.label, lockName, profile, msg)
	}
	s.lock, err = pipeline.ParseLock(rev+":"+lockName, b)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// diffReadWorktree reads the lock file of the working tree (the latest run).
func diffReadWorktree(root, lockName, profile string) (*diffSide, error) {
	p := filepath.Join(root, lockName)
	if _, err := os.Stat(p); err != nil {
		flag := ""
		if profile != "default" {
			flag = " --profile " + profile
		}
		return nil, usagef("the working tree has no %s: run `repro run%s` first, or name two revisions", lockName, flag)
	}
	l, err := pipeline.ReadLock(p)
	if err != nil {
		return nil, err
	}
	return &diffSide{label: "working tree", lock: l}, nil
}

// ---- --html ----

type diffFigure struct {
	Name     string
	A, B     template.URL // data: URLs, empty when missing
	NoA, NoB string       // why a side shows no image
}

func diffWriteHTML(ctx context.Context, dir string, d *pipeline.LockDiff, st *pipeline.Store, root, profile string, a, b *diffSide) error {
	// Rebuild the figures of a revision that the store lacks.
	missing := map[*diffSide][]string{}
	for _, f := range d.Figures {
		if f.A != "" && !st.Has(f.A) {
			missing[a] = append(missing[a], f.Stage)
		}
		if f.B != "" && !st.Has(f.B) && b.commit != "" {
			missing[b] = append(missing[b], f.Stage)
		}
	}
	for _, side := range []*diffSide{a, b} {
		stages := missing[side]
		if len(stages) == 0 {
			continue
		}
		fmt.Fprintf(os.Stderr, "repro: diff: %d figures of %s are not in the store: rebuilding them in a temporary worktree\n", len(stages), side.label)
		if err := diffRebuild(ctx, root, side.commit, diffDedup(stages), st.Dir, profile); err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "repro: diff: warning: could not rebuild the figures of %s: %v\n", side.label, err)
		}
	}
	var figs []diffFigure
	for _, f := range d.Figures {
		fig := diffFigure{Name: f.Name()}
		fig.A, fig.NoA = diffImage(st, f.Output, f.A, "not in A", a)
		fig.B, fig.NoB = diffImage(st, f.Output, f.B, "not in B", b)
		figs = append(figs, fig)
	}
	var md bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(diffMarkdown(d)), &md); err != nil {
		return err
	}
	var page bytes.Buffer
	err := diffPage.Execute(&page, map[string]any{
		"A": d.A.Label, "B": d.B.Label, "Summary": template.HTML(md.String()), "Figures": figs,
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out := filepath.Join(dir, "index.html")
	if err := pipeline.WriteFileAtomic(out, page.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "repro: diff: wrote %s\n", out)
	return nil
}

func diffDedup(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// diffImage reads figure h from the store as a data: URL, or says why not.
func diffImage(st *pipeline.Store, output, h, absent string, side *diffSide) (template.URL, string) {
	if h == "" {
		return "", absent
	}
	bs, err := st.Get(h)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if side.commit == "" {
				return "", "not in the local store: run `repro run` to rebuild it"
			}
			return "", "not in the local store, and rebuilding it from " + side.label + " failed (see the log)"
		}
		return "", err.Error()
	}
	mime := "image/svg+xml"
	if strings.HasSuffix(strings.ToLower(output), ".png") {
		mime = "image/png"
	}
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(bs)), ""
}

// diffRebuild runs the given stages of a commit in a temporary git worktree
// that shares the store at storeDir, with the repro built from that commit,
// so that only its stale stages run. The worktree is removed afterwards.
func diffRebuild(ctx context.Context, root, commit string, stages []string, storeDir, profile string) error {
	args := []string{"--store", storeDir}
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	args = append(append(args, "run"), stages...)
	// The revision's own parameters, not this shell's overrides.
	noOverrides := func(kv string) bool { return strings.HasPrefix(kv, "REPRO_") }
	return gitrev.Repo{Dir: root}.RunAt(ctx, commit, args, noOverrides)
}

var diffPage = template.Must(template.New("diff").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>repro diff: {{.A}} → {{.B}}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; vertical-align: top; }
code { font-size: 90%; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.pair figure { margin: 0; border: 1px solid #ddd; padding: .5rem; background: #fff; }
.pair img { width: 100%; height: auto; }
.pair figcaption { font-weight: 600; margin-bottom: .3rem; }
.missing { color: #777; font-style: italic; padding: 2rem 0; text-align: center; }
</style>
</head>
<body>
{{.Summary}}
<h2>Changed figures, side by side</h2>
{{if not .Figures}}<p>No figure changed.</p>{{end}}
{{range .Figures}}
<section>
<h3><code>{{.Name}}</code></h3>
<div class="pair">
<figure><figcaption>A: {{$.A}}</figcaption>{{if .A}}<img src="{{.A}}" alt="{{.Name}} at A">{{else}}<div class="missing">{{.NoA}}</div>{{end}}</figure>
<figure><figcaption>B: {{$.B}}</figcaption>{{if .B}}<img src="{{.B}}" alt="{{.Name}} at B">{{else}}<div class="missing">{{.NoB}}</div>{{end}}</figure>
</div>
</section>
{{end}}
</body>
</html>
`))
