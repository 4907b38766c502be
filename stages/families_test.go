package stages

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/repro-dev/repro/data"
	"github.com/repro-dev/repro/pipeline"
)

// Unit tests of each family of stage functions, called as plain functions
// of their parameters and inputs (pipeline.Background for the Ctx).

var bg = pipeline.Background()

// val is an input holding v (the gatherers that look inputs up by stage
// name take namedIn instead).
func val[T any](v T) pipeline.In[T] { return pipeline.In[T]{Value: v} }

// smoothTerrain is a 24 x 24 grid of a plane plus a bump: exact for a
// polynomial of low degree, learnable by a small network.
func smoothTerrain() TerrainGrid {
	const n = 24
	g := TerrainGrid{}
	g.Rows, g.Cols = n, n
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			x, y := float64(c)/(n-1), float64(r)/(n-1)
			g.Z = append(g.Z, 100+50*x-20*y+30*x*y)
		}
	}
	return g
}

func terrainFixture(t *testing.T) (TerrainGrid, TerrainSplit, TerrainScaled, Design) {
	t.Helper()
	g := smoothTerrain()
	split, err := terrainSplitStage(bg, SplitParams{XSparsity: 4}, GridInput{val(g)})
	if err != nil {
		t.Fatal(err)
	}
	scaled, err := terrainScale(bg, struct{}{}, ScaleInput{val(g), val(split)})
	if err != nil {
		t.Fatal(err)
	}
	design, err := terrainDesign(bg, DesignParams{Degree: 2}, ScaledInput{val(scaled)})
	if err != nil {
		t.Fatal(err)
	}
	return g, split, scaled, design
}

func TestTerrainFamily(t *testing.T) {
	g, split, scaled, design := terrainFixture(t)
	if n := len(split.Train) + len(split.Val); n == 0 || n >= g.Rows*g.Cols {
		t.Errorf("split: %d training+validation cells of %d", n, g.Rows*g.Cols)
	}
	if len(scaled.Train.Z)+len(scaled.Val.Z)+len(scaled.Test.Z) != g.Rows*g.Cols {
		t.Error("scaling lost points")
	}
	// Degree 2 in two variables: 1, x, y, x², xy, y².
	if design.Train.Cols != 6 || len(design.Terms) != 6 || design.Train.Rows != len(scaled.Train.Z) {
		t.Errorf("design %d x %d with terms %v", design.Train.Rows, design.Train.Cols, design.Terms)
	}
}

func TestLinearFamily(t *testing.T) {
	_, _, scaled, design := terrainFixture(t)
	lin := LinearInput{val(design), val(scaled)}
	ols, err := linearOLS(bg, struct{}{}, lin)
	if err != nil {
		t.Fatal(err)
	}
	// The surface is a degree-2 polynomial: OLS fits it exactly.
	if ols.TestMSE > 1e-12 || math.Abs(ols.TestR2-1) > 1e-9 {
		t.Errorf("OLS on an exact polynomial: test MSE %g, R² %g", ols.TestMSE, ols.TestR2)
	}
	ridge, err := linearRidge(bg, RidgeParams{Lambdas: []float64{1, 1e-6, 1e-3}}, lin)
	if err != nil {
		t.Fatal(err)
	}
	if ridge.Lambda != 0 || len(ridge.Path) != 4 || ridge.Path[0].Lambda != 0 {
		t.Errorf("Ridge chose λ = %g of %v; want λ = 0 (OLS, a candidate) on noiseless data", ridge.Lambda, ridge.Path)
	}

	// SGD approaches the closed form; the summary picks the best cell.
	run := func(lr float64, seed uint64) LinSGDRun {
		r, err := linSGD(bg, LinSGDParams{Lambda: 1e-6, Seed: seed, Train: TrainParams{Epochs: 300, BatchSize: 8, LR: lr}}, DesignInput{val(design)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	good, bad := run(0.1, 1), run(1e-4, 1)
	if good.BestValErr >= bad.BestValErr || good.BestValErr > 1e-2 {
		t.Errorf("SGD validation MSE %g (γ0 0.1) vs %g (γ0 1e-4)", good.BestValErr, bad.BestValErr)
	}
	s, err := linSGDSummary(bg, struct{}{}, LinSGDSummaryInput{Design: val(design), Scaled: val(scaled),
		Grid:     []pipeline.In[LinSGDRun]{val(bad), val(run(1e-4, 2)), val(good), val(run(0.1, 2))},
		Momentum: []pipeline.In[LinSGDRun]{val(good)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Grid) != 2 || s.Best.LR != 0.1 || len(s.Best.Runs) != 2 || len(s.TestMSE) != 2 {
		t.Errorf("summary: %d cells, best γ0 %g with %d runs", len(s.Grid), s.Best.LR, len(s.Best.Runs))
	}
}

func TestRegressionFamily(t *testing.T) {
	_, _, scaled, _ := terrainFixture(t)
	base := NetParams{Hidden: "relu", Output: "identity", Init: "he", Train: TrainParams{Epochs: 30, BatchSize: 8, LR: 0.05}}
	var runs []pipeline.In[NetRun]
	tp := TuneParams{Label: "relu", Archs: []string{"2x4x1", "2x8x1"}, LRs: []float64{0.05, 50}, Seeds: []uint64{1, 2}, Base: base}
	for _, arch := range tp.Archs {
		for _, lr := range tp.LRs {
			c := Candidate{Arch: arch, LR: lr}
			for _, seed := range tp.Seeds {
				np := base
				np.Arch, np.Train.LR, np.Seed = arch, lr, seed
				r, err := regressionNet(bg, np, ScaledInput{val(scaled)})
				if err != nil {
					t.Fatal(err)
				}
				runs = append(runs, val(r))
				c.Stages = append(c.Stages, arch+"/"+num(lr)+"/"+num(float64(seed)))
			}
			tp.Candidates = append(tp.Candidates, c)
		}
	}
	// The gatherers look runs up by stage name: give them names.
	named := make([]pipeline.In[NetRun], len(runs))
	k := 0
	for _, c := range tp.Candidates {
		for _, st := range c.Stages {
			named[k] = namedIn(st, runs[k].Value)
			k++
		}
	}
	out, err := regressionTune(bg, RegTuneParams{TuneParams: tp}, TuneInput{val(scaled), named, nil})
	if err != nil {
		t.Fatal(err)
	}
	if out.BestLR != 0.05 || len(out.TestMSE) != 2 || !out.Heat.Diverged[0][1] {
		t.Errorf("tune: best γ0 %g (want 0.05: γ0 = 50 diverges), %d test scores, diverged %v", out.BestLR, len(out.TestMSE), out.Heat.Diverged)
	}
}

// namedIn is an input as the engine fills it: named, with its value.
func namedIn[T any](name string, v T) pipeline.In[T] {
	g := pipeline.NewGraph()
	ref := pipeline.Add(g, name, struct{}{}, struct{}{}, constStage[T])
	x := ref.In()
	x.Value = v
	return x
}

func constStage[T any](pipeline.Ctx, struct{}, struct{}) (T, error) {
	var v T
	return v, nil
}

// digitsFixture: 20 images of each class, class k lighting pixel k.
func digitsFixture(t *testing.T) (DigitsData, DigitsSplit, DigitsSets) {
	t.Helper()
	var d DigitsData
	for i := 0; i < 200; i++ {
		img := make([]float64, data.DigitsPixels)
		k := i % 10
		img[k] = 16
		img[63-k] = float64(i%5) + 8
		d.Images = append(d.Images, img)
		d.Labels = append(d.Labels, k)
	}
	split, err := digitsSplit(bg, DigitsSplitParams{TrainPerClass: 10, ValPerClass: 4, Seed: 1}, DigitsInput{val(d)})
	if err != nil {
		t.Fatal(err)
	}
	sets, err := digitsScale(bg, struct{}{}, DigitsScaleInput{val(d), val(split)})
	if err != nil {
		t.Fatal(err)
	}
	return d, split, sets
}

func TestClassificationFamily(t *testing.T) {
	_, _, sets := digitsFixture(t)
	if sets.TrainX.Rows != 100 || sets.ValX.Rows != 40 || sets.TestX.Rows != 60 {
		t.Fatalf("sets %d/%d/%d", sets.TrainX.Rows, sets.ValX.Rows, sets.TestX.Rows)
	}
	for _, v := range sets.TrainX.Data {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
	}
	var runs []pipeline.In[NetRun]
	var names []string
	for _, seed := range []uint64{1, 2} {
		np := NetParams{Arch: "64x10", Hidden: "identity", Output: "softmax", Init: "glorot", Seed: seed, Train: TrainParams{Epochs: 40, BatchSize: 10, LR: 0.5}}
		r, err := classifyNet(bg, np, SetsInput{val(sets)})
		if err != nil {
			t.Fatal(err)
		}
		if r.TestAcc < 0.9 {
			t.Errorf("seed %d: test accuracy %.2f on separable digits", seed, r.TestAcc)
		}
		name := "logistic/sgd/seed=" + num(float64(seed))
		names = append(names, name)
		runs = append(runs, namedIn(name, r))
	}
	s, err := seedsSummary(bg, SeedsParams{Metric: "digits.test", Stages: names}, RunsInput{runs})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TestAcc) != 2 || s.Metrics()["digits.test.test_accuracy"] < 0.9 {
		t.Errorf("summary: %v", s.Metrics())
	}
	if _, err := seedsSummary(bg, SeedsParams{Metric: "x", Stages: []string{"nope"}}, RunsInput{runs}); err == nil {
		t.Error("a summary of a run missing from its inputs: no error")
	}
	fit, err := logisticLBFGS(bg, LBFGSParams{L2: 1e-4, MaxIter: 100}, SetsInput{val(sets)})
	if err != nil || fit.TestAcc < 0.9 {
		t.Errorf("L-BFGS: test accuracy %.2f, %v", fit.TestAcc, err)
	}
}

// Every figure is an SVG document.
func TestFigureFamily(t *testing.T) {
	g, split, _, _ := terrainFixture(t)
	d, dsplit, _ := digitsFixture(t)
	for name, f := range map[string]func() (Figure, error){
		"schedule": func() (Figure, error) {
			return figSchedule(bg, ScheduleParams{LR0: 0.1, Decay: 0.01, RampUp: 10, Steps: 200}, struct{}{})
		},
		"terrain-split": func() (Figure, error) {
			return figTerrainSplit(bg, struct{}{}, ScaleInput{val(g), val(split)})
		},
		"digit-samples": func() (Figure, error) { return figDigitSamples(bg, struct{}{}, DigitsInput{val(d)}) },
		"class-counts":  func() (Figure, error) { return figClassCounts(bg, struct{}{}, DigitsSplitInput{val(dsplit)}) },
		"dag": func() (Figure, error) {
			return figDAG(bg, DAGParams{Nodes: []string{"a", "b"}, Edges: [][2]int{{0, 1}}}, struct{}{})
		},
	} {
		fig, err := f()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Contains(fig.SVG[:min(200, len(fig.SVG))], []byte("<svg")) || !strings.HasSuffix(strings.TrimSpace(string(fig.SVG)), "</svg>") {
			t.Errorf("%s: not an SVG document: %.80q", name, fig.SVG)
		}
	}
}
