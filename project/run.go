package project

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/session"
	"github.com/repro-dev/repro/stages"
)

// A Display follows a run: Begin once the store is locked and the remote
// open, before any stage (an error stops the run); Observe for every event
// of the engine; End as soon as the engine is done, before the run's
// messages.
type Display interface {
	Begin(p *Project, sel []*pipeline.Stage) error
	Observe(ev pipeline.Event)
	End()
}

// RunOptions are what a run is asked for: the flags of `repro run` (zero
// values: its defaults) and where it writes.
type RunOptions struct {
	Jobs           int            // stages at once; 0: as the engine has it (the number of CPUs)
	Force          bool           // rerun the selected stages even if cached
	Shard          pipeline.Shard // part I of N of the grid points; zero: all
	RemoteRequired bool           // fail when the remote store fails
	RemoteReadOnly bool           // pull from the remote store, upload nothing
	KeepUntrusted  bool           // use results pulled earlier that no trusted key vouches for any more
	Verbose, Quiet bool           // every warning and note / only failures and warnings
	Stderr         io.Writer      // messages; nil: os.Stderr
	Display        Display        // nil: none
}

// A RunResult is what a run did.
type RunResult struct {
	*pipeline.RunResult
	// Report is the exported report (relative to the project when inside
	// it), "" when the run did not reach the report stage.
	Report string
	// Recorded: the run was recorded and its report exported. When not,
	// the run's error says why.
	Recorded bool
}

// Run runs the stages sel (and the stages they need) as `repro run` does:
// it checks the store is writable and locks it, connects the remote store
// (store.remote; without one, the trusted keys still apply), runs the
// engine, records the run (the timings, the lock unless sharded, the run
// state), exports the report with this run's provenance, and prints the
// report's warnings, the grid-edge notes and the summary lines on
// opts.Stderr. The result is nil when the engine did not run; otherwise it
// comes with the run's first error, if any.
func (p *Project) Run(ctx context.Context, sel []*pipeline.Stage, opts RunOptions) (*RunResult, error) {
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	// A run writes into the store (results, its state, the report): a store
	// it cannot write is one message, before anything starts.
	if err := p.Store.CheckWritable(); err != nil {
		return nil, fmt.Errorf("%w (run writes its results, state and report there; status, show, metrics and verify only read it)", err)
	}
	unlock, err := p.Store.Lock(ctx, func(msg string) { fmt.Fprintln(stderr, "repro:", msg) })
	if err != nil {
		return nil, err
	}
	defer unlock()

	eng := p.Engine
	if opts.Jobs > 0 {
		eng.Jobs = opts.Jobs
	}
	eng.Force = opts.Force
	eng.Shard = opts.Shard
	eng.Expected = expectedTimes(p.Store.Dir, p.Profile) // afresh: serve runs again and again
	closeRemote, err := p.openRemote(ctx, opts.RemoteRequired, opts.RemoteReadOnly, opts.KeepUntrusted, stderr)
	if err != nil {
		return nil, err
	}
	defer closeRemote()
	if opts.Shard.N > 0 && p.Params.Store.Remote == "" {
		fmt.Fprintln(stderr, "repro: warning: --shard without store.remote: this shard's results stay in this store")
	}
	eng.Observe = nil
	if d := opts.Display; d != nil {
		if err := d.Begin(p, sel); err != nil {
			return nil, err
		}
		eng.Observe = d.Observe
	}
	t0 := time.Now()
	res, runErr := eng.Run(ctx, sel)
	if opts.Display != nil {
		opts.Display.End()
	}
	if res == nil {
		return nil, runErr
	}
	out := &RunResult{RunResult: res}
	// The timings, the lock (a sharded run holds part of the grid and none
	// of what follows it: the assembling run writes the whole lock) and
	// the run state.
	st, err := session.Session{Engine: eng, Profile: p.Profile, LockPath: p.LockPath()}.Record(res, t0, opts.Shard.N == 0)
	if err != nil {
		if runErr != nil {
			return out, runErr // the first failure (a full disk fails a stage first)
		}
		return out, err
	}
	if o := stages.ReportOutcome(res); o != nil {
		out.Report = filepath.Join(p.Store.Dir, "report.html")
		if rel, err := filepath.Rel(p.Root, out.Report); err == nil && !strings.HasPrefix(rel, "..") {
			out.Report = rel
		}
		exp := stages.RunExport{Root: p.Root, Store: p.Store, Graph: p.Graph, LockPath: p.LockPath(), Profile: p.Profile, State: st}
		if err := exp.ExportReport(); err != nil {
			return out, err
		}
		reportMessages(stderr, stages.StoredWarnings(p.Store, o.Record), !o.Cached, opts.Verbose, opts.Quiet)
	} else if !opts.Quiet {
		// A run that did not reach the report: the tuning stages' own
		// grid-edge findings.
		printNotes(stderr, "repro: ", stages.EdgeNotes(p.Store, res), opts.Verbose)
	}
	out.Recorded = true
	if opts.Shard.N > 0 {
		fmt.Fprintln(stderr, shardSummary(opts.Shard, sel, res))
	}
	if !opts.Quiet || len(res.Failed) > 0 {
		fmt.Fprintf(stderr, "repro: %d ran, %d cached, %d failed in %.1fs\n", len(res.Ran), len(res.Cached), len(res.Failed), time.Since(t0).Seconds())
	}
	if s := remoteSummary(eng); s != "" {
		fmt.Fprintln(stderr, s)
	}
	return out, runErr
}

// expectedTimes are the stage times the scheduler orders by: how long each
// stage of this profile took when it last ran (the profile's own run
// state, so that a quick run on the same store does not lend its times to
// the default profile's stages). Nil when the profile has not run here:
// the engine then reads the store's timings.
func expectedTimes(store, profile string) map[string]float64 {
	st, err := session.ReadState(store, profile)
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for name, s := range st.Stages {
		if d := s.LastRan(); d > 0 {
			out[name] = d
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
