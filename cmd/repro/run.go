package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
)

type runFlags struct {
	jobs           int
	force          bool
	dryRun         bool
	json           bool
	shard          string
	remoteRequired bool
	remoteReadonly bool
	keepUntrusted  bool
	verbose, quiet bool
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [PATTERN...]",
		Short: "Run the stages (all, or those matching PATTERN and their inputs), reusing cached results",
		Long: `Run every stage, or the stages matching the patterns (globs such as
'neural/*' or prefixes such as 'terrain') and the stages they need. A stage
whose key (code, parameters, inputs, toolchain) is in the run cache is not
run again. After the run, the profile's lock file (repro.lock for the default
profile, repro.<profile>.lock otherwise) records every stage.

With --json, the last line of output is one JSON object:
{"ran": [...], "cached": [...], "failed": [...], "report": "artifacts/report.html"},
plus "pulled" (the cached stages downloaded from the remote store) and
"skipped" (stages left out: by a failure, or by --shard).

With store.remote set (params.yaml, REPRO_STORE_REMOTE or --set), a stage
not in the local store is looked up in that shared store and downloaded,
and what runs is uploaded; a remote that fails is one warning and the run
goes on locally, unless --remote-required. Uploads are signed with the key
REPRO_SIGNING_KEY_FILE names, and a pull accepts only results signed by a
key of store.trusted_keys (docs/security.md); --remote-readonly (or
store.remote_mode: read) uploads nothing. A result pulled earlier that no
trusted key vouches for any more (its key was removed from
store.trusted_keys) is computed again, with a warning, unless
--keep-untrusted. --shard I/N runs only part I of N
of the grid points (and the stages they need); a later run without --shard
assembles the rest from the shared store. See docs/scale-out.md.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd, g, f, args) },
	}
	cmd.Flags().IntVarP(&f.jobs, "jobs", "j", 0, "stages run at once (default: number of CPUs)")
	cmd.Flags().BoolVar(&f.force, "force", false, "rerun the selected stages even if cached")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "say what would run and why, run nothing")
	cmd.Flags().BoolVar(&f.json, "json", false, "end with a JSON summary")
	cmd.Flags().StringVar(&f.shard, "shard", "", "run part I of N of the grid points and the stages they need (I/N, I from 0); no lock is written")
	cmd.Flags().BoolVar(&f.remoteRequired, "remote-required", false, "fail instead of going on locally when the remote store (store.remote) fails")
	cmd.Flags().BoolVar(&f.remoteReadonly, "remote-readonly", false, "pull verified results from the remote store, upload nothing (as store.remote_mode: read)")
	cmd.Flags().BoolVar(&f.keepUntrusted, "keep-untrusted", false, "use results pulled earlier that no key of store.trusted_keys vouches for any more (default: computed again, with a warning each)")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "print a line for every stage, cached ones included")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print only failures and warnings on standard error")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	cmd.ValidArgsFunction = g.stageArgs(true, 0)
	g.addMaxStages(cmd)
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, f *runFlags, patterns []string) error {
	if f.jobs < 0 {
		return usagef("-j %d: want a positive number of jobs", f.jobs)
	}
	var shard pipeline.Shard
	if f.shard != "" {
		var err error
		if shard, err = pipeline.ParseShard(f.shard); err != nil {
			return usageError{err}
		}
	}
	p, sel, matched, err := g.openMatched(patterns)
	if err != nil {
		return err
	}
	stdout := cmd.OutOrStdout()
	if f.dryRun {
		lock, err := pipeline.ReadLock(p.lockPath())
		if err != nil {
			return err
		}
		sts, err := p.engine.Status(sel, lock)
		if err != nil {
			return err
		}
		userParamNames(sts, p.params, g.graphBuilder(p.root))
		printDryRun(stdout, sts, matched, patterns, f.force, f.verbose)
		return nil
	}
	// A run writes into the store (results, its state, the report): a store
	// it cannot write is one message, before anything starts.
	if err := p.store.CheckWritable(); err != nil {
		return fmt.Errorf("%w (run writes its results, state and report there; status, show, metrics and verify only read it)", err)
	}
	ctx := cmd.Context()
	unlock, err := p.store.Lock(ctx, func(msg string) { fmt.Fprintln(os.Stderr, "repro:", msg) })
	if err != nil {
		return err
	}
	defer unlock()

	if f.jobs > 0 {
		p.engine.Jobs = f.jobs
	}
	p.engine.Force = f.force
	p.engine.Shard = shard
	closeRemote, err := openRemote(ctx, p, f.remoteRequired, f.remoteReadonly, f.keepUntrusted, os.Stderr)
	if err != nil {
		return err
	}
	defer closeRemote()
	if shard.N > 0 && p.params.Store.Remote == "" {
		fmt.Fprintln(os.Stderr, "repro: warning: --shard without store.remote: this shard's results stay in this store")
	}
	prog := newProgress(os.Stderr, len(sel))
	prog.verbose, prog.quiet, prog.jobs = f.verbose, f.quiet, p.engine.Jobs
	if prog.live {
		prog.estimate, prog.willRun = runEstimates(p, sel, f.force)
		var names []string
		for _, s := range sel {
			names = append(names, s.Name)
		}
		prog.short = distinguisher(names)
	}
	p.engine.Observe = prog.observe
	t0 := time.Now()
	res, runErr := p.engine.Run(ctx, sel)
	prog.finish()
	if res == nil {
		return runErr
	}
	// The timings, the lock (a sharded run holds part of the grid and none
	// of what follows it: the assembling run writes the whole lock) and
	// the run state.
	st, err := session.Session{Engine: p.engine, Profile: p.profile, LockPath: p.lockPath()}.Record(res, t0, shard.N == 0)
	if err != nil {
		if runErr != nil {
			return runErr // the first failure (a full disk fails a stage first)
		}
		return err
	}
	report := ""
	if _, ok := res.Outcomes["report"]; ok {
		report = filepath.Join(p.store.Dir, "report.html")
		if rel, err := filepath.Rel(p.root, report); err == nil && !strings.HasPrefix(rel, "..") {
			report = rel
		}
		if err := exportReport(p, st); err != nil {
			return err
		}
		reportMessages(os.Stderr, p, res.Outcomes["report"].Record, slices.Contains(res.Ran, "report"), f.verbose, f.quiet)
	}
	edgeWarnings(os.Stderr, p, res, f.verbose, f.quiet)
	if shard.N > 0 {
		fmt.Fprintln(os.Stderr, shardSummary(shard, sel, res))
	}
	if !f.quiet || len(res.Failed) > 0 {
		fmt.Fprintf(os.Stderr, "repro: %d ran, %d cached, %d failed in %.1fs\n", len(res.Ran), len(res.Cached), len(res.Failed), time.Since(t0).Seconds())
	}
	if s := remoteSummary(p.engine); s != "" {
		fmt.Fprintln(os.Stderr, s)
	}
	if f.json {
		sort.Strings(res.Ran)
		sort.Strings(res.Cached)
		sort.Strings(res.Failed)
		sort.Strings(res.Pulled)
		sort.Strings(res.Skipped)
		out := map[string]any{"ran": nonNil(res.Ran), "cached": nonNil(res.Cached), "failed": nonNil(res.Failed), "report": report,
			"pulled": nonNil(res.Pulled), "skipped": nonNil(res.Skipped)}
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
	} else if report != "" {
		if !filepath.IsAbs(report) {
			report = filepath.Join(p.root, report)
		}
		fmt.Fprintln(stdout, report)
	}
	return runErr
}

// runEstimates reads, for the progress display, how long each selected
// stage took when it last ran, and which stages are expected to run (not
// fresh against the lock; nil if that cannot be told).
func runEstimates(p *project, sel []*pipeline.Stage, force bool) (map[string]float64, map[string]bool) {
	est := map[string]float64{}
	if st, err := session.ReadState(p.store.Dir, p.profile); err == nil {
		for _, s := range sel {
			if d := st.Stages[s.Name].LastRan(); d > 0 {
				est[s.Name] = d
			}
		}
	}
	if force {
		return est, nil
	}
	lock, err := pipeline.ReadLock(p.lockPath())
	if err != nil {
		return est, nil
	}
	sts, err := p.engine.Status(sel, lock)
	if err != nil {
		return est, nil
	}
	will := map[string]bool{}
	for _, s := range sts {
		if s.State != pipeline.StateFresh {
			will[s.Stage] = true
		}
	}
	return est, will
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
