package project

import (
	"context"

	"github.com/repro-dev/repro/pipeline"
)

// A GCResult is what Project.GC removed, or with a dry run would remove.
type GCResult struct {
	// Trimmed is the run-cache entries dropped by age or size; nil when
	// the policy sets neither.
	Trimmed *pipeline.Trimmed
	// Objects is every stored object before, with its size; Removed those
	// no lock and no remaining entry references, RemovedBytes their size.
	Objects      map[string]int64
	Removed      []string
	RemovedBytes int64
	// Temps are the temporary files interrupted writes left, TempBytes
	// their size.
	Temps     []string
	TempBytes int64
}

// GC bounds the store, under its lock: with policy.MaxAge or MaxBytes it
// first drops run-cache entries by last use (pipeline.Store.Trim), never
// one a committed lock of any profile names (Committed); then it deletes
// every object that no lock and no remaining entry references, and the
// temporary files interrupted writes left behind. With policy.DryRun it
// removes nothing. notify is told when another process holds the store
// lock.
func (p *Project) GC(ctx context.Context, policy pipeline.TrimPolicy, notify func(string)) (*GCResult, error) {
	unlock, err := p.Store.Lock(ctx, notify)
	if err != nil {
		return nil, err
	}
	defer unlock()
	keep, keepKeys := p.Committed()
	r := &GCResult{}
	if policy.MaxAge > 0 || policy.MaxBytes > 0 {
		policy.Keep = keepKeys
		tr, err := p.Store.Trim(policy)
		if err != nil {
			return nil, err
		}
		r.Trimmed = &tr
	}
	if r.Objects, err = p.Store.Objects(); err != nil {
		return nil, err
	}
	if r.Removed, r.RemovedBytes, err = p.Store.GC(keep, policy.DryRun); err != nil {
		return nil, err
	}
	// Temporary files of interrupted writes: no writer is running, since
	// every writer holds the store lock we hold.
	r.Temps, r.TempBytes = p.Store.SweepTemp(policy.DryRun)
	return r, nil
}
