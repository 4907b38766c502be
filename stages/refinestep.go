package stages

import (
	"fmt"
	"slices"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// The refinement as stages. Step k of a tuning's refinement is one stage
// per seed ("neural/regression/refine/act=relu/step=2/seed=3"): each reads
// the grid's runs and every seed of the earlier steps, replays the
// refinement's choices up to step k, and trains its own seed of the cell
// step k adds, or nothing when the refinement stopped earlier. The tuning
// stage then replays the whole refinement from these runs without training.
// So refinement cells are cached, timed and scheduled like grid points, the
// refinements of different families run side by side, and a change to one
// cell reruns only what depends on it. The choices are the ones refineGrid
// makes: replaying it with the same runs gives the same cells in the same
// order.

// RefineStepParams are one seed of one refinement step of a tuning: the
// tuning's parameters (its grid and settings), the step (from 1) and the
// seed.
type RefineStepParams struct {
	Tune TuneParams `json:"tune"`
	Step int        `json:"step"`
	Seed uint64     `json:"seed"`
}

// RefineRun is one seed of a refinement step: the cell the step trained
// and this seed's run, or no run when the refinement had stopped before
// the step.
type RefineRun struct {
	Label string
	Step  int
	Seed  uint64
	Arch  string  `json:",omitempty"`
	LR    float64 `json:",omitempty"`
	Run   *NetRun `json:",omitempty"`
}

// refineStep is one step that trained a cell: its runs in seed order and
// the stages that trained them.
type refineStep struct {
	Cell   cellKey
	Runs   []NetRun
	Stages []string
}

// collectSteps gathers the steps that trained a cell, in order, from the
// runs of the refinement stages ins (every seed of p's, each step at most
// once).
func collectSteps(p TuneParams, ins []pipeline.In[RefineRun]) ([]refineStep, error) {
	bySeed := map[int]map[uint64]pipeline.In[RefineRun]{}
	last := 0
	for _, in := range ins {
		r := in.Value
		if r.Label != p.Label || r.Run == nil {
			continue
		}
		if bySeed[r.Step] == nil {
			bySeed[r.Step] = map[uint64]pipeline.In[RefineRun]{}
		}
		bySeed[r.Step][r.Seed] = in
		last = max(last, r.Step)
	}
	var out []refineStep
	for k := 1; k <= last; k++ {
		st := refineStep{}
		for i, s := range p.Seeds {
			in, ok := bySeed[k][s]
			if !ok {
				return nil, fmt.Errorf("refinement of %s: step %d has no run for seed %d", p.Label, k, s)
			}
			c := cellKey{in.Value.Arch, in.Value.LR}
			if i > 0 && c != st.Cell {
				return nil, fmt.Errorf("refinement of %s: step %d trained %s at %s for one seed and %s at %s for another", p.Label, k, st.Cell.Arch, num(st.Cell.LR), c.Arch, num(c.LR))
			}
			st.Cell = c
			st.Runs = append(st.Runs, *in.Value.Run)
			st.Stages = append(st.Stages, in.Name())
		}
		out = append(out, st)
	}
	return out, nil
}

// replayRefine runs refineGrid over the grid's cells, taking the cells of
// the steps done, in order; a further cell the refinement asks for is
// trained with next (nil: an error, every step should have been done).
func replayRefine(p TuneParams, cells map[cellKey]*tunedCell, done []refineStep, next func(arch string, lr float64) ([]NetRun, error)) (tuned, error) {
	k := 0
	return refineGrid(p, cells, func(arch string, lr float64) ([]NetRun, []*models.Network, error) {
		k++
		if k <= len(done) {
			d := done[k-1]
			if d.Cell != (cellKey{arch, lr}) {
				return nil, nil, fmt.Errorf("step %d trained %s at %s, but the refinement now asks for %s at %s", k, d.Cell.Arch, num(d.Cell.LR), arch, num(lr))
			}
			return d.Runs, nil, nil
		}
		if next == nil {
			return nil, nil, fmt.Errorf("step %d has not been run", k)
		}
		runs, err := next(arch, lr)
		return runs, nil, err
	})
}

// refineOne runs step p.Step of the refinement for seed p.Seed, training
// with train.
func refineOne(p RefineStepParams, runs []pipeline.In[NetRun], prev []pipeline.In[RefineRun], train func(arch string, lr float64, seed uint64) (NetRun, error)) (RefineRun, error) {
	out := RefineRun{Label: p.Tune.Label, Step: p.Step, Seed: p.Seed}
	cells, err := gridCells(RunsInput{runs}.byName(), p.Tune)
	if err != nil {
		return out, err
	}
	done, err := collectSteps(p.Tune, prev)
	if err != nil {
		return out, err
	}
	if len(done) < p.Step-1 {
		return out, nil // the refinement stopped before this step
	}
	tp := p.Tune
	tp.Refine.MaxSteps = p.Step
	_, err = replayRefine(tp, cells, done, func(arch string, lr float64) ([]NetRun, error) {
		r, err := train(arch, lr, p.Seed)
		out.Arch, out.LR, out.Run = arch, lr, &r
		return []NetRun{r}, err
	})
	if err != nil {
		return out, fmt.Errorf("refining %s, step %d: %w", p.Tune.Label, p.Step, err)
	}
	return out, nil
}

// cellStages are the stages that trained the cell k of a tuning: its grid
// candidate's, or the refinement step's.
func cellStages(p TuneParams, done []refineStep, k cellKey) []string {
	for _, c := range p.Candidates {
		if c.Arch == k.Arch && c.LR == k.LR {
			return c.Stages
		}
	}
	for _, d := range done {
		if d.Cell == k {
			return d.Stages
		}
	}
	return nil
}

// RegRefineInput is what a refinement step of the terrain networks reads:
// the scaled terrain, the grid's runs and every seed of the earlier steps.
type RegRefineInput struct {
	Scaled pipeline.In[TerrainScaled]
	Runs   []pipeline.In[NetRun]
	Prev   []pipeline.In[RefineRun]
}

func regressionRefine(c pipeline.Ctx, p RefineStepParams, in RegRefineInput) (RefineRun, error) {
	train := regTrainer(c, p.Tune.Base, in.Scaled.Value)
	return refineOne(p, in.Runs, in.Prev, func(arch string, lr float64, seed uint64) (NetRun, error) {
		nr, err := train(arch, lr, seed)
		return nr.run, err
	})
}

// ClsRefineInput is what a refinement step of the digits networks reads.
type ClsRefineInput struct {
	Sets pipeline.In[DigitsSets]
	Runs []pipeline.In[NetRun]
	Prev []pipeline.In[RefineRun]
}

func classifyRefine(c pipeline.Ctx, p RefineStepParams, in ClsRefineInput) (RefineRun, error) {
	return refineOne(p, in.Runs, in.Prev, clsTrainer(c, p.Tune.Base, in.Sets.Value))
}

// addRefinement declares the refinement steps of a tuning (prefix/step=K/
// seed=S for each step and seed) and returns them: not shardable, they
// depend on the whole grid.
func addRefinement[I any](g *pipeline.Graph, prefix string, tp TuneParams, fn func(pipeline.Ctx, RefineStepParams, I) (RefineRun, error), in func(prev []pipeline.In[RefineRun]) I) []pipeline.Ref[RefineRun] {
	var all []pipeline.Ref[RefineRun]
	for k := 1; k <= tp.Refine.MaxSteps; k++ {
		prev := pipeline.Ins(slices.Clone(all))
		for _, s := range tp.Seeds {
			all = append(all, pipeline.Add(g, fmt.Sprintf("%s/step=%d/seed=%d", prefix, k, s), RefineStepParams{Tune: tp, Step: k, Seed: s}, in(prev), fn))
		}
	}
	return all
}
