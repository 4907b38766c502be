package stages

import (
	"math"
	"testing"

	"github.com/repro-dev/repro/models"
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
