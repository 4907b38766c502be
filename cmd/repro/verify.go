package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
)

func newVerifyCmd(g *globals) *cobra.Command {
	var recompute bool
	var purge bool
	var sample proj.Sample
	cmd := &cobra.Command{
		Use:   "verify [--recompute [PATTERN...]] [--purge-untrusted]",
		Short: "Re-hash every stored object and run-cache entry; exit 1 on any corruption",
		Long: `Re-hash every stored object and check every run-cache entry; list any that
are corrupt and exit 1.

With --recompute, also rerun the stages matching the patterns (every stage of
the profile if none), without using their cached results, and compare the
digest of each output and each metric with the ones stored for the stage's
key (inputs come from the run cache, so each stage is checked on exactly the
inputs its record was made from). Every stage whose output is not
reproducible is named and the exit code is 1. Nothing is written to the
store; the selected stages and their inputs must have been run first.

Entries pulled from a remote store keep the run entry they were pulled with
(its signature): verify checks each again against today's store.trusted_keys
(and the key of REPRO_SIGNING_KEY_FILE), names those no trusted key signed
(unsigned, or signed by a key since removed) and exits 1. With
--purge-untrusted it removes their run-cache entries instead, so that their
stages are computed, or pulled with a trusted signature, again (see
docs/security.md).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && !recompute {
				return usagef("verify takes patterns only with --recompute (got %q)", args)
			}
			p, err := g.open()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			trust, err := p.VerifyTrust(purge)
			if err != nil {
				return err
			}
			if recompute || purge {
				p.warn(os.Stderr)
				unlock, err := p.store.Lock(cmd.Context(), func(msg string) { fmt.Fprintln(os.Stderr, "repro:", msg) })
				if err != nil {
					return err
				}
				defer unlock()
			}
			probs, err := p.store.Verify()
			if err != nil {
				return err
			}
			for _, pr := range probs {
				fmt.Fprintf(out, "corrupt %s: %s\n", pr.Path, pr.Err)
			}
			sigNote, sigFailed, err := p.CheckPulled(out, trust, purge)
			if err != nil {
				return err
			}
			if len(probs) > 0 {
				fmt.Fprintf(out, "%d problems\n", len(probs))
				return exitError{1}
			}
			if sigFailed {
				return exitError{1}
			}
			objs, _ := p.store.Objects()
			keys, _ := p.store.Keys()
			fmt.Fprintf(out, "ok: %d objects, %d run-cache entries%s\n", len(objs), len(keys), sigNote)
			if !recompute {
				return nil
			}
			return runRecompute(cmd, p, args, sample)
		},
	}
	cmd.Flags().BoolVar(&recompute, "recompute", false, "rerun the matching stages without the cache and compare their outputs with the stored ones")
	cmd.Flags().BoolVar(&purge, "purge-untrusted", false, "remove the run-cache entries pulled from a remote store that no trusted key signed")
	cmd.Flags().IntVar(&sample.N, "sample", 0, "with --recompute: rerun only `N` of the matching stages, a deterministic random sample (0: all)")
	cmd.Flags().Uint64Var(&sample.Seed, "seed", 1, "with --sample: the seed that picks the sample")
	cmd.Flags().DurationVar(&sample.Budget, "budget", 0, "with --recompute: start no stage after this `duration` (e.g. 10m; 0: no limit)")
	return cmd
}

// runRecompute is verify --recompute: it reruns the stages matching patterns
// (or a sample of them) and names every one whose outputs differ from its
// record, with the key lines the record was stored under.
func runRecompute(cmd *cobra.Command, p *project, patterns []string, sample proj.Sample) error {
	res, picked, matched, err := p.Recompute(cmd.Context(), patterns, sample, func(total int) proj.Display {
		return proj.NewProgress(os.Stderr, total, false, false)
	})
	if err != nil {
		var ue usageError
		if cmd.Context().Err() != nil || errors.As(err, &ue) {
			return err
		}
		return fmt.Errorf("verify --recompute: %w (with `repro run --profile %s`)", err, p.profile)
	}
	out := cmd.OutOrStdout()
	bad, failed, skipped := 0, 0, 0
	for _, r := range res {
		switch {
		case r.Skipped:
			skipped++
		case r.Err != nil:
			failed++
			fmt.Fprintf(out, "failed %s: %v\n", r.Stage, r.Err)
		case len(r.Diffs) > 0:
			bad++
			for _, d := range r.Diffs {
				fmt.Fprintf(out, "not reproducible %s: %s\n", r.Stage, d)
			}
			fmt.Fprintf(out, "  its key %s was computed from:\n", r.Key)
			for _, l := range r.KeyLines {
				fmt.Fprintf(out, "    %s\n", l)
			}
		}
	}
	done := len(res) - skipped
	fmt.Fprintf(out, "recomputed %d stages: %d reproducible, %d not reproducible, %d failed", done, done-bad-failed, bad, failed)
	if sample.N > 0 {
		fmt.Fprintf(out, " (a sample of %d of %d, seed %d)", picked, matched, sample.Seed)
	}
	if skipped > 0 {
		fmt.Fprintf(out, "; %d not started within the budget of %s", skipped, sample.Budget)
	}
	fmt.Fprintln(out)
	if bad+failed > 0 {
		return exitError{1}
	}
	return nil
}

func newGCCmd(g *globals) *cobra.Command {
	var dry bool
	var keepDays int
	var maxSize string
	cmd := &cobra.Command{
		Use:   "gc [--keep-days N] [--max-size SIZE] [--dry-run]",
		Short: "Bound the store: drop run-cache entries unused for long, then every object nothing references",
		Long: `Bound the store. With --keep-days N, drop the run-cache entries not used
for N days; with --max-size SIZE (such as 2GB or 500MiB), then drop the least
recently used entries until the objects the rest reference fit. A run marks
the entries it uses (at most once an hour). Entries that a committed lock
(repro.lock, repro.<profile>.lock) names are never dropped.

Then delete every stored object that no lock and no remaining run-cache
entry references, and the temporary files interrupted runs left behind, and
print how many objects and bytes were removed and kept. With --dry-run, list
what would be removed and remove nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keepDays < 0 {
				return usagef("--keep-days %d: want a number of days >= 0", keepDays)
			}
			budget, err := numfmt.ParseBytes(maxSize)
			if err != nil {
				return usagef("--max-size %q: %v", maxSize, err)
			}
			p, err := g.open()
			if err != nil {
				return err
			}
			r, err := p.GC(cmd.Context(), pipeline.TrimPolicy{MaxAge: time.Duration(keepDays) * 24 * time.Hour, MaxBytes: budget, DryRun: dry},
				func(msg string) { fmt.Fprintln(os.Stderr, "repro:", msg) })
			if err != nil {
				return err
			}
			printGC(cmd.OutOrStdout(), r, dry)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "list what would be removed, remove nothing")
	cmd.Flags().IntVar(&keepDays, "keep-days", 0, "drop run-cache entries not used for `N` days (0: keep them)")
	cmd.Flags().StringVar(&maxSize, "max-size", "", "then drop the least recently used entries until the store fits in `SIZE` (e.g. 2GB, 500MiB)")
	return cmd
}

// printGC says what gc removed (with dry, would remove).
func printGC(out io.Writer, r *proj.GCResult, dry bool) {
	verb := "removed"
	if dry {
		verb = "would remove"
	}
	if r.Trimmed != nil {
		fmt.Fprintf(out, "%s %d run-cache entries used least recently (%s only they referenced)\n", verb, len(r.Trimmed.Keys), numfmt.Bytes(r.Trimmed.Bytes))
	}
	if dry {
		for _, h := range r.Removed {
			fmt.Fprintf(out, "would remove %s (%s)\n", h, numfmt.Bytes(r.Objects[h]))
		}
		for _, t := range r.Temps {
			fmt.Fprintf(out, "would remove %s (temporary file of an interrupted write)\n", t)
		}
	}
	var total int64
	for _, s := range r.Objects {
		total += s
	}
	fmt.Fprintf(out, "%s %d of %d objects (%s of %s); %d objects (%s) kept\n",
		verb, len(r.Removed), len(r.Objects), numfmt.Bytes(r.RemovedBytes), numfmt.Bytes(total), len(r.Objects)-len(r.Removed), numfmt.Bytes(total-r.RemovedBytes))
	if len(r.Temps) > 0 {
		fmt.Fprintf(out, "%s %d temporary files left by interrupted runs (%s)\n", verb, len(r.Temps), numfmt.Bytes(r.TempBytes))
	}
}
