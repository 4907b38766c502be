package project

import (
	"context"
	"time"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// A Sample is how much of the graph Recompute reruns: N of the matching
// stages drawn with Seed (all for N = 0), none started after Budget (0: no
// limit).
type Sample struct {
	N      int
	Seed   uint64
	Budget time.Duration
}

// Recompute reruns the stages matching patterns (every stage for none), or
// a sample of them, without their cached results, and compares their
// outputs with their records (pipeline.Engine.Recompute, `repro verify
// --recompute`), shown on the display display makes for the number of
// stages picked (nil: none). It returns the results, and how many stages
// were picked of how many matched.
func (p *Project) Recompute(ctx context.Context, patterns []string, sample Sample, display func(total int) Display) (res []*pipeline.Recomputed, picked, matched int, err error) {
	if sample.N < 0 || sample.Budget < 0 {
		return nil, 0, 0, Usagef("--sample and --budget must not be negative (got %d, %s)", sample.N, sample.Budget)
	}
	sel, err := p.Graph.Select(patterns)
	if err != nil {
		return nil, 0, 0, UsageError{err}
	}
	var names []string
	for _, s := range sel {
		if len(patterns) == 0 || matchAny(patterns, s.Name) {
			names = append(names, s.Name)
		}
	}
	pick := map[string]bool{}
	for _, name := range pipeline.Sample(names, sample.N, sample.Seed) {
		pick[name] = true
	}
	p.Engine.Observe = nil
	if display != nil {
		d := display(len(pick))
		p.Engine.Observe = d.Observe
		defer d.End()
	}
	res, err = p.Engine.Recompute(ctx, sel, func(name string) bool { return pick[name] }, sample.Budget)
	return res, len(pick), len(names), err
}

// Committed is what the locks of every profile of the project name: the
// objects and the run-cache keys that `repro gc` never drops.
func (p *Project) Committed() (objects, keys map[string]bool) {
	objects, keys = map[string]bool{}, map[string]bool{}
	for _, prof := range config.Profiles(p.Root) {
		other := &Project{Root: p.Root, Profile: prof}
		if l, err := pipeline.ReadLock(other.LockPath()); err == nil {
			for _, h := range l.ObjectHashes() {
				objects[h] = true
			}
			for _, s := range l.Stages {
				keys[s.Key] = true
			}
		}
	}
	return objects, keys
}

func matchAny(patterns []string, name string) bool {
	for _, pat := range patterns {
		if pipeline.Match(pat, name) {
			return true
		}
	}
	return false
}
