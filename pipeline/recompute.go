package pipeline

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Recomputed is the outcome of rerunning one stage to check that it is
// reproducible (see Engine.Recompute).
type Recomputed struct {
	Stage string
	Key   string
	// Diffs lists every output (and metric) whose recomputed value is not
	// the stored one; empty when the stage reproduced its record exactly.
	Diffs []Mismatch
	// Err is the stage's error when it failed on the rerun.
	Err      error
	Duration time.Duration
	// Skipped is set when the time budget ran out before the stage
	// started.
	Skipped bool
	// KeyLines are the labelled lines its key was computed from (as
	// REPRO_DEBUG_KEY prints them), to tell what a mismatch was keyed on.
	KeyLines []string
}

// A Mismatch is one output or metric that came out differently on a rerun.
// Stored or Recomputed is "(none)" when the output exists on one side only.
type Mismatch struct {
	Kind       string // "output" or "metric"
	Name       string
	Stored     string
	Recomputed string
}

func (d Mismatch) String() string {
	return fmt.Sprintf("%s %s: stored %s, recomputed %s", d.Kind, d.Name, d.Stored, d.Recomputed)
}

// Reproducible reports whether the rerun succeeded and matched the record.
func (r *Recomputed) Reproducible() bool { return r.Err == nil && len(r.Diffs) == 0 && !r.Skipped }

// Sample picks n of names (all of them if n <= 0 or n >= len(names)), the
// same ones for the same seed and names: those whose hash with the seed is
// smallest. The result keeps the order of names.
func Sample(names []string, n int, seed uint64) []string {
	if n <= 0 || n >= len(names) {
		return names
	}
	rank := make(map[string]string, len(names))
	for _, nm := range names {
		rank[nm] = HashBytes([]byte(fmt.Sprintf("%d\x00%s", seed, nm)))
	}
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(rank[a], rank[b]) })
	keep := map[string]bool{}
	for _, nm := range sorted[:n] {
		keep[nm] = true
	}
	return slices.DeleteFunc(slices.Clone(names), func(nm string) bool { return !keep[nm] })
}

// Recompute reruns every stage of stages (in topological order, as returned
// by Graph.Select) for which match returns true, without using its cached
// result, and compares the digest of each output, and each metric, with the
// record the run cache holds for the stage's key, in the manner of the Go
// toolchain's GODEBUG=gocacheverify=1. With a budget > 0, no stage starts
// after the budget has run out (those left are marked Skipped). Inputs come from the run cache (read
// and re-hashed as always), so each stage is checked on exactly the inputs
// its record was made from. Nothing is written to the store.
//
// Every stage of stages must be in the run cache under its current key
// (upstream stages to key the matched ones, matched stages to compare with):
// otherwise Recompute returns an error saying to run it first. A stage that
// fails or differs is reported in its Recomputed, not as an error.
func (e *Engine) Recompute(ctx context.Context, stages []*Stage, match func(name string) bool, budget time.Duration) ([]*Recomputed, error) {
	start := time.Now()
	recs := map[string]*Record{}
	type job struct {
		p   *Prepared
		rec *Record
		out *Recomputed
	}
	var jobs []*job
	for _, s := range stages {
		p, err := e.prepare(s, recs)
		if err != nil {
			return nil, err
		}
		rec, rerr := e.Store.Record(p.Key)
		if rec == nil {
			why := "not in the run cache"
			if rerr != nil {
				why = fmt.Sprintf("its run-cache entry is unusable (%v)", rerr)
			}
			return nil, fmt.Errorf("stage %s (key %s): %s: run it first", s.Name, p.Key[:12], why)
		}
		recs[s.Name] = rec
		if match(s.Name) {
			jobs = append(jobs, &job{p: p, rec: rec, out: &Recomputed{Stage: s.Name, Key: p.Key, KeyLines: p.lines.lines}})
		}
	}

	n := e.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if budget > 0 && time.Since(start) > budget {
			<-sem
			j.out.Skipped = true
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.recomputeOne(ctx, j.p, j.rec, recs, j.out)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]*Recomputed, len(jobs))
	for i, j := range jobs {
		out[i] = j.out
	}
	return out, nil
}

func (e *Engine) recomputeOne(ctx context.Context, p *Prepared, rec *Record, recs map[string]*Record, out *Recomputed) {
	s := p.Stage
	deps := map[string]*Record{}
	for _, d := range s.Deps {
		deps[d] = recs[d]
	}
	t0 := time.Now()
	r, err := e.execute(ctx, p, deps)
	out.Duration = time.Since(t0)
	if err != nil {
		out.Err = err
		e.observe(Event{Kind: EventFailed, Stage: s.Name, Err: err, Elapsed: out.Duration})
		return
	}
	out.Diffs = diffRecord(rec, r)
	e.observe(Event{Kind: EventDone, Stage: s.Name, Elapsed: out.Duration})
}

// diffRecord compares a stored record with a fresh result.
func diffRecord(rec *Record, r *Result) []Mismatch {
	var diffs []Mismatch
	names := map[string]bool{}
	for n := range rec.Outputs {
		names[n] = true
	}
	for n := range r.Outputs {
		names[n] = true
	}
	for _, n := range sortedKeys(names) {
		stored, ok := rec.Outputs[n]
		if !ok {
			stored = "(none)"
		}
		got := "(none)"
		if b, ok := r.Outputs[n]; ok {
			got = HashBytes(b)
		}
		if got != stored {
			diffs = append(diffs, Mismatch{"output", n, shortHash(stored), shortHash(got)})
		}
	}
	names = map[string]bool{}
	for n := range rec.Metrics {
		names[n] = true
	}
	for n := range r.Metrics {
		names[n] = true
	}
	for _, n := range sortedKeys(names) {
		a, oka := rec.Metrics[n]
		b, okb := r.Metrics[n]
		if oka && okb && (a == b || math.IsNaN(a) && math.IsNaN(b)) {
			continue
		}
		show := func(v float64, ok bool) string {
			if !ok {
				return "(none)"
			}
			return fmt.Sprint(v)
		}
		diffs = append(diffs, Mismatch{"metric", n, show(a, oka), show(b, okb)})
	}
	return diffs
}
