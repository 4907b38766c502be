package stages

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// A synthetic error surface: lowest at (2x16x16x1, 1) and diverging above
// a rate of 2.
func surface(arch string, lr float64) NetRun {
	if lr > 2 {
		return NetRun{Diverged: true}
	}
	w := map[string]float64{"2x4x1": 4, "2x8x1": 3, "2x8x8x1": 2, "2x16x16x1": 1, "2x32x32x1": 1.5}[arch]
	return NetRun{BestValErr: 0.01*w + 0.01*math.Abs(math.Log(lr)), BestEpoch: 10}
}

func fakeGrid(archs []string, lrs []float64) (TuneParams, map[cellKey]*tunedCell) {
	p := TuneParams{Label: "relu", Archs: archs, LRs: lrs, Seeds: []uint64{1, 2}}
	cells := map[cellKey]*tunedCell{}
	for _, a := range archs {
		for _, lr := range lrs {
			cells[cellKey{a, lr}] = &tunedCell{Runs: []NetRun{surface(a, lr), surface(a, lr)}}
			p.Candidates = append(p.Candidates, Candidate{Arch: a, LR: lr})
		}
	}
	return p, cells
}

func fakeTrain(arch string, lr float64) ([]NetRun, []*models.Network, error) {
	return []NetRun{surface(arch, lr), surface(arch, lr)}, nil, nil
}

func TestRefineExtendsAnEdge(t *testing.T) {
	// The grid stops at 0.3 and at 2x8x8x1: both axes on their edge.
	p, cells := fakeGrid([]string{"2x4x1", "2x8x8x1"}, []float64{0.1, 0.3})
	p.Refine = RefineParams{MaxSteps: 6, Archs: []string{"2x16x16x1", "2x32x32x1"}}
	tn, err := refineGrid(p, cells, fakeTrain)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Best != (cellKey{"2x16x16x1", 0.9}) {
		t.Errorf("best %v after steps %v, want 2x16x16x1 at 0.9", tn.Best, tn.Steps)
	}
	for _, a := range tn.Edges {
		if a.OnEdge() {
			t.Errorf("axis %s still on its edge: %+v (steps %v)", a.Axis, a, tn.Steps)
		}
	}
	h := tn.heat()
	if len(h.Archs) != 4 || len(h.LRs) < 3 {
		t.Errorf("heat %v x %v, want the refinement's rows and columns", h.Archs, h.LRs)
	}
}

func TestRefineStopsAndSaysWhy(t *testing.T) {
	p, cells := fakeGrid([]string{"2x4x1", "2x8x8x1"}, []float64{0.1, 1})
	p.Refine = RefineParams{MaxSteps: 0}
	tn, err := refineGrid(p, cells, fakeTrain)
	if err != nil {
		t.Fatal(err)
	}
	var arch AxisEdge
	for _, a := range tn.Edges {
		if a.Axis == "architecture" {
			arch = a
		}
	}
	if !arch.OnEdge() || arch.Reason == "" {
		t.Errorf("architecture axis: %+v, want on the edge with a reason", arch)
	}
	// Rates beyond 2 diverge: a refinement from 1 tries 10, which brackets it.
	p, cells = fakeGrid([]string{"2x16x16x1", "2x32x32x1"}, []float64{0.1, 1})
	p.Refine = RefineParams{MaxSteps: 2}
	tn, err = refineGrid(p, cells, fakeTrain)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tn.Edges {
		if a.Axis == "learning rate" && (a.OnEdge() || a.Resolved == "") {
			t.Errorf("learning rate: %+v, want bracketed by the diverged 10", a)
		}
	}
}

// TestRefineAsStages: the refinement run as stages, one per step and seed,
// each replaying the earlier steps and training its own seed, trains the
// cells refineGrid trains in one stage, in the same order, and the tuning's
// replay from their runs gives the same choice, heat map and edges; steps
// after the refinement stopped train nothing.
func TestRefineAsStages(t *testing.T) {
	p, cells := fakeGrid([]string{"2x4x1", "2x8x8x1"}, []float64{0.1, 0.3})
	p.Refine = RefineParams{MaxSteps: 8, Archs: []string{"2x16x16x1", "2x32x32x1"}}
	// Grid runs as the engine hands them over, by stage name.
	var runs []pipeline.In[NetRun]
	for i, c := range p.Candidates {
		for _, s := range p.Seeds {
			name := fmt.Sprintf("grid/%d/seed=%d", i, s)
			p.Candidates[i].Stages = append(p.Candidates[i].Stages, name)
			runs = append(runs, namedIn(name, surface(c.Arch, c.LR)))
		}
	}
	direct, err := refineGrid(p, cells, fakeTrain)
	if err != nil {
		t.Fatal(err)
	}
	trained := 0
	train := func(arch string, lr float64, seed uint64) (NetRun, error) {
		trained++
		r := surface(arch, lr)
		r.Seed = seed
		return r, nil
	}
	var prev []pipeline.In[RefineRun]
	for k := 1; k <= p.Refine.MaxSteps; k++ {
		var step []pipeline.In[RefineRun]
		for _, s := range p.Seeds {
			r, err := refineOne(RefineStepParams{Tune: p, Step: k, Seed: s}, runs, prev, train)
			if err != nil {
				t.Fatal(err)
			}
			if r.Run != nil && (k > len(direct.Steps) || (cellKey{r.Arch, r.LR}) != direct.Steps[k-1]) {
				t.Fatalf("step %d seed %d trained %s at %g; refineGrid's steps: %v", k, s, r.Arch, r.LR, direct.Steps)
			}
			if r.Run == nil && k <= len(direct.Steps) {
				t.Fatalf("step %d seed %d trained nothing; refineGrid's steps: %v", k, s, direct.Steps)
			}
			step = append(step, namedIn(fmt.Sprintf("refine/step=%d/seed=%d", k, s), r))
		}
		prev = append(prev, step...)
	}
	if want := len(direct.Steps) * len(p.Seeds); trained != want {
		t.Errorf("trained %d runs, want %d (the steps that trained a cell, every seed)", trained, want)
	}
	if len(direct.Steps) < 2 || len(direct.Steps) >= p.Refine.MaxSteps {
		t.Fatalf("fixture: refineGrid took %d steps; want at least 2 and fewer than %d, so that some steps train nothing", len(direct.Steps), p.Refine.MaxSteps)
	}

	_, cells = fakeGrid([]string{"2x4x1", "2x8x8x1"}, []float64{0.1, 0.3})
	done, err := collectSteps(p, prev)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := replayRefine(p, cells, done, nil)
	if err != nil {
		t.Fatal(err)
	}
	if replayed.Best != direct.Best || !reflect.DeepEqual(replayed.Steps, direct.Steps) || !reflect.DeepEqual(replayed.Edges, direct.Edges) {
		t.Errorf("replay: best %v steps %v edges %+v; direct: best %v steps %v edges %+v", replayed.Best, replayed.Steps, replayed.Edges, direct.Best, direct.Steps, direct.Edges)
	}
	if !reflect.DeepEqual(replayed.heat(), direct.heat()) {
		t.Error("replayed heat map differs from refineGrid's")
	}
	if got := cellStages(p, done, replayed.Best); len(got) != len(p.Seeds) || !strings.HasPrefix(got[0], "refine/") {
		t.Errorf("stages of the best cell %v: %v, want the refinement step's", replayed.Best, got)
	}

	// A replay that lacks a step says so.
	if _, err := replayRefine(p, cells, done[:1], nil); err == nil || !strings.Contains(err.Error(), "step 2 has not been run") {
		t.Errorf("replay without step 2: %v", err)
	}
}
