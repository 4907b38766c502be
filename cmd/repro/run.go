package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/pipeline"
	proj "github.com/repro-dev/repro/project"
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
			return usageError{Err: err}
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
		proj.UserParamNames(sts, p.params, g.graphBuilder(p.root))
		proj.PrintDryRun(stdout, sts, matched, patterns, f.force, f.verbose)
		return nil
	}
	res, runErr := p.Run(cmd.Context(), sel, proj.RunOptions{Jobs: f.jobs, Force: f.force, Shard: shard,
		RemoteRequired: f.remoteRequired, RemoteReadOnly: f.remoteReadonly, KeepUntrusted: f.keepUntrusted,
		Verbose: f.verbose, Quiet: f.quiet, Stderr: os.Stderr, Display: proj.NewProgress(os.Stderr, len(sel), f.verbose, f.quiet)})
	if res == nil || !res.Recorded {
		return runErr
	}
	report := res.Report
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

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
