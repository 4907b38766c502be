package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
	"github.com/repro-dev/repro/project/revdiff"
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

--html DIR writes DIR/index.html: a summary (the counts, the rules, the
metrics that moved beyond their noise), each changed figure of A and B side
by side, the report of B with every number that changed from A marked
old -> new in place (DIR/report.html, shown in a frame; a number of B is
matched with A's by the template action that inserted it and its table
cell, not by its id), and the stage table last, folded. A report of A
older than the provenance marks of its numbers is said so, and only the
figures are compared. Figures and reports are read
from the store; those of a revision that is not in the store are rebuilt by
running that revision in a temporary git worktree that shares this store
(only its stale stages run); the worktree is removed afterwards.

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
	cmd.Flags().StringVar(&f.html, "html", "", "write `DIR`/index.html (DIR relative to the project): the summary, the changed figures of A and B side by side, B's report with its changed numbers marked")
	cmd.Flags().BoolVar(&f.computed, "against-computed", false, "B is what the store holds for the current code and parameters (after `repro run`), not a lock file")
	cmd.Flags().BoolVar(&f.failOnDiff, "fail-on-difference", false, "exit 1 when A and B differ at all (keys, outputs, metrics, stages, trust settings)")
	cmd.ValidArgsFunction = g.revisionArgs
	cmd.RegisterFlagCompletionFunc("fail-on", g.completeMetricRule)
	cmd.RegisterFlagCompletionFunc("html", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	return cmd
}

// runDiff is `repro diff`: it reads both sides (project/revdiff), checks
// the rules, writes the HTML page if asked, and prints the diff.
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
		return usageError{Err: err}
	}
	lockName := g.opts().LockName()
	revA := "HEAD"
	if len(args) > 0 {
		revA = args[0]
	}
	a, err := revdiff.ReadRev(root, revA, lockName, g.profileName())
	if err != nil {
		return err
	}
	var b *revdiff.Side
	switch {
	case f.computed && len(args) > 1:
		return usagef("--against-computed compares REV_A with what this checkout computed: give one revision, not two")
	case f.computed:
		b, err = g.readComputed()
	case len(args) > 1:
		b, err = revdiff.ReadRev(root, args[1], lockName, g.profileName())
	default:
		b, err = revdiff.ReadWorktree(root, lockName, g.profileName())
	}
	if err != nil {
		return err
	}

	reach, flush := revdiff.Reach(proj.FingerprintDir(filepath.Join(g.opts().StoreDir(root), "state"), false))
	d := pipeline.DiffOptions{Reach: reach}.Diff(a.Lock, b.Lock)
	flush()
	d.A.Label, d.B.Label = a.Label, b.Label
	d.SetTrust(revdiff.Trust(root, a, g.profileName()), revdiff.Trust(root, b, g.profileName()))
	violations, unmatched := d.Check(rules)
	if len(unmatched) > 0 {
		return usagef("--fail-on %q matches no metric that both %s and %s hold (metrics are flat dotted names: see `repro metrics`)", unmatched[0], a.Label, b.Label)
	}
	if f.html != "" {
		st, err := pipeline.OpenStore(g.opts().StoreDir(root))
		if err != nil {
			return err
		}
		dir := f.html
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		if err := revdiff.WriteHTML(cmd.Context(), os.Stderr, dir, d, st, root, g.profile, a, b); err != nil {
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
		io.WriteString(out, revdiff.Markdown(revdiff.NumericallyIdentical(d)))
	default:
		// The summary and metrics first, then the stages grouped by
		// shared reasons (every stage with -v).
		io.WriteString(out, revdiff.TextGrouped(revdiff.TermSafe(revdiff.NumericallyIdentical(d)), f.verbose))
	}
	for _, t := range d.Trust {
		fmt.Fprintf(os.Stderr, "repro: diff: trust changed: %s\n", proj.TermText(t))
	}
	if len(violations) > 0 {
		for _, v := range violations {
			fmt.Fprintf(os.Stderr, "repro: diff: rule violated: %s\n", proj.TermText(v.String()))
		}
		return exitError{1}
	}
	if f.failOnDiff && !d.Empty() {
		fmt.Fprintf(os.Stderr, "repro: diff: %s and %s differ: %s\n", proj.TermText(a.Label), proj.TermText(b.Label), proj.TermText(revdiff.Summary(d)))
		return exitError{1}
	}
	return nil
}

// readComputed is the lock of what the store holds for the current code
// and parameters (revdiff.ReadComputed).
func (g *globals) readComputed() (*revdiff.Side, error) {
	p, err := g.open()
	if err != nil {
		return nil, err
	}
	return revdiff.ReadComputed(p.Project)
}
