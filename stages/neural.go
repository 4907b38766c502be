package stages

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// NetParams configure one training run of a network.
type NetParams struct {
	Arch       string      `json:"arch"`   // "2x8x8x1"
	Hidden     string      `json:"hidden"` // hidden activation
	Output     string      `json:"output"` // output activation
	Init       string      `json:"init"`
	LeakyAlpha float64     `json:"leaky_alpha,omitempty"`
	L2         float64     `json:"l2,omitempty"`
	Train      TrainParams `json:"train"`
	Seed       uint64      `json:"seed"`
}

// NetRun is one trained network: its curves and scores. Errors are MSE for
// regression and 1 - accuracy for classification.
type NetRun struct {
	Arch, Hidden, Output string
	LR                   float64
	Seed                 uint64
	TrainErr, ValErr     []float64 // per epoch; epoch 0 is the initial network
	// TrainEpochs, when set, are the epochs of TrainErr: the training set
	// was evaluated at those epochs only (the terrain networks: the first
	// and the last; see trainNet). Empty: TrainErr has every epoch.
	TrainEpochs          []int `json:",omitempty"`
	BestEpoch, EpochsRun int
	Epochs               int // the epoch budget
	BestValErr           float64
	Diverged             bool
	DivEpoch             int
	Stopped              string
	// Output-layer parameters per epoch (for the softmax/sigmoid figure).
	OutWMean, OutWSD, OutBMean, OutBSD []float64
	// Regression only: test error of the restored best network, and its
	// mean squared error in each tile of test cells (see testBlocks), the
	// units of the paired comparisons.
	TestMSE, TestR2 float64   `json:",omitempty"`
	TestBlockSE     []float64 `json:",omitempty"`
	// Classification only: scores of the restored best network, and per
	// test image 1 if it is classified right, 0 if not (the units of the
	// paired comparisons).
	ValAcc, TestAcc float64
	Confusion       [][]int
	TestHit         []byte `json:",omitempty"`
	// The validation scores of the restored best network unit by unit,
	// which the paired test of a tuning grid's cells against its best cell
	// compares (see levelCells): for regression the mean squared error in
	// each tile of validation cells and the cells in each tile, for
	// classification 1 per validation image classified right.
	ValBlockSE, ValBlockN []float64 `json:",omitempty"`
	ValHit                []byte    `json:",omitempty"`
}

func (p NetParams) network() (*models.Network, error) {
	in, ls, err := layers(p.Arch, p.Hidden, p.Output)
	if err != nil {
		return nil, err
	}
	cost := models.CostMSE
	if p.Output == "softmax" || p.Output == "sigmoid" {
		cost = models.CostCrossEntropy
	}
	cfg := models.NetConfig{Inputs: in, Layers: ls, LeakyAlpha: p.LeakyAlpha, Init: models.Init(p.Init), Cost: cost, L2: p.L2}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return models.NewNetwork(cfg, p.Seed), nil
}

// trainNet trains a network and records its run. A diverged run is a
// result, not an error.
func trainNet(c pipeline.Ctx, p NetParams, xt, yt, xv, yv *mat.Dense, monitor models.Monitor) (*models.Network, NetRun, error) {
	net, err := p.network()
	if err != nil {
		return nil, NetRun{}, err
	}
	cfg := p.Train.config(p.Seed, monitor)
	if monitor == models.MonitorCost {
		// The terrain networks: no figure or sentence reads their training
		// error per epoch, only their validation error (which chooses the
		// best epoch). The training set is evaluated at the first and the
		// last epoch only, which saves a seventh of their training time and
		// changes no validation error, best epoch or parameter (BenchmarkTrainStage).
		cfg.TrainEvery = cfg.Epochs
	}
	h, err := net.Train(xt, yt, xv, yv, stoppable(c, cfg), progress(c))
	if err != nil {
		return nil, NetRun{}, err
	}
	r := NetRun{Arch: p.Arch, Hidden: p.Hidden, Output: p.Output, LR: p.Train.LR, Seed: p.Seed,
		BestEpoch: h.BestEpoch, EpochsRun: len(h.Epochs) - 1, Epochs: p.Train.Epochs, BestValErr: h.BestValErr,
		Diverged: h.Diverged, DivEpoch: h.DivergedEpoch, Stopped: h.Stopped}
	sparse := slices.ContainsFunc(h.Epochs, func(e models.EpochStats) bool { return e.TrainSkipped })
	for _, e := range h.Epochs {
		if !e.TrainSkipped {
			r.TrainErr = append(r.TrainErr, e.TrainErr)
			if sparse {
				r.TrainEpochs = append(r.TrainEpochs, e.Epoch)
			}
		}
		r.ValErr = append(r.ValErr, e.ValErr)
		last := len(e.WeightMean) - 1
		r.OutWMean = append(r.OutWMean, e.WeightMean[last])
		r.OutWSD = append(r.OutWSD, e.WeightSD[last])
		r.OutBMean = append(r.OutBMean, e.BiasMean[last])
		r.OutBSD = append(r.OutBSD, e.BiasSD[last])
	}
	return net, r, nil
}

func pointsMatrix(ps PointSet) (*mat.Dense, *mat.Dense) {
	x := mat.NewDense(len(ps.X), 2, nil)
	for i := range ps.X {
		x.Set(i, 0, ps.X[i])
		x.Set(i, 1, ps.Y[i])
	}
	return x, mat.NewDense(len(ps.Z), 1, append([]float64(nil), ps.Z...))
}

// regressionNet trains one grid point of the terrain networks.
// The networks read the scaled points, not the polynomial features: the
// polynomial degree does not rerun them.
func regressionNet(c pipeline.Ctx, p NetParams, in ScaledInput) (NetRun, error) {
	t := in.Scaled.Value
	xt, yt := pointsMatrix(t.Train)
	xv, yv := pointsMatrix(t.Val)
	net, r, err := trainNet(c, p, xt, yt, xv, yv, models.MonitorCost)
	if err != nil {
		return r, err
	}
	// Scored on the test cells here, once, so that the tuning need not
	// train the chosen cell again.
	xs, _ := pointsMatrix(t.Test)
	scoreTerrain(&r, t, net, xv, xs)
	return r, nil
}

// scoreTerrain scores a regression run's restored best network on the
// validation cells (xv, tile by tile) and the test cells (xs).
func scoreTerrain(r *NetRun, t TerrainScaled, net *models.Network, xv, xs *mat.Dense) {
	r.ValBlockSE, r.ValBlockN = t.tiledSE(t.Val, net.Predict(xv).RawMatrix().Data)
	pred := net.Predict(xs).RawMatrix().Data
	r.TestMSE, r.TestR2 = models.MSE(t.Test.Z, pred), models.R2(t.Test.Z, pred)
	r.TestBlockSE = t.blockSE(pred)
}

// Candidate is one grid cell: its configuration and the stages that ran it
// for each seed.
type Candidate struct {
	Arch   string   `json:"arch"`
	LR     float64  `json:"lr"`
	Stages []string `json:"stages"`
}

// TuneParams describe a grid of one kind of network: its cells, and the
// configuration (less architecture, learning rate and seed) to retrain the
// best cell with.
type TuneParams struct {
	Label      string      `json:"label"` // metric name part: "relu", "extra.wide-adam"
	Archs      []string    `json:"archs"`
	LRs        []float64   `json:"lrs"`
	Candidates []Candidate `json:"candidates"`
	Base       NetParams   `json:"base"`
	Seeds      []uint64    `json:"seeds"`
	// Refine extends an axis on whose edge the best cell lies.
	Refine RefineParams `json:"refine,omitzero"`
}

// Heat is a grid of mean and sd of the validation error over seeds, by
// architecture (rows) and learning rate (columns).
type Heat struct {
	Archs    []string
	LRs      []float64
	Mean, SD [][]float64
	Diverged [][]bool // every seed of the cell diverged
	Untried  [][]bool // never trained (a refinement row or column elsewhere)
	Added    [][]bool // trained by the refinement, beyond the grid
	// Level marks the other cells that a paired test over the seeds and
	// the validation units cannot separate from the best cell, Worse those
	// it finds worse (see tuned.levelWithBest); nil for runs without units.
	Level, Worse [][]bool `json:",omitempty"`
	// BestEpoch is the mean over seeds of the epoch of the best validation
	// error (of the seeds that did not diverge).
	BestEpoch [][]float64
}

// RegTune is the tuning result of one kind of terrain network.
type RegTune struct {
	Label           string
	Heat            Heat
	BestArch        string
	BestLR          float64
	BestVal, BestSD float64
	Curves          []NetRun  // the best cell's runs, one per seed
	BestStages      []string  // the stages that trained them (grid points or refinement steps)
	TestMSE, TestR2 []float64 // per seed, retrained best cell
	Pred            []float64 // test-cell predictions of the first seed
	DivergedCells   int
	// Edges say where the best cell lies on each axis (after refinement)
	// and whether its best epoch came at the end of the budget.
	Edges Edges
}

// Metrics: terrain.nn.<label>.test_mse and .test_r2 (mean, .sd, and the
// per-seed values .seeds[i]), .val_mse (mean and sd).
func (t RegTune) Metrics() map[string]float64 {
	p := "terrain.nn." + t.Label + "."
	m, sd := meanSD(t.TestMSE)
	r, rsd := meanSD(t.TestR2)
	out := map[string]float64{p + "test_mse": m, p + "test_mse.sd": sd, p + "test_r2": r, p + "test_r2.sd": rsd,
		p + "val_mse": t.BestVal, p + "val_mse.sd": t.BestSD}
	pipeline.PutSeedValues(out, p+"test_mse", t.TestMSE)
	pipeline.PutSeedValues(out, p+"test_r2", t.TestR2)
	return out
}

// RunsInput is the grid points a summary gathers, by stage name.
type RunsInput struct{ Runs []pipeline.In[NetRun] }

func (in RunsInput) byName() map[string]NetRun {
	m := make(map[string]NetRun, len(in.Runs))
	for _, r := range in.Runs {
		m[r.Name()] = r.Value
	}
	return m
}

// TuneInput is what a tuning stage of the terrain networks reads: the
// grid's runs and its refinement's.
type TuneInput struct {
	Scaled pipeline.In[TerrainScaled]
	Runs   []pipeline.In[NetRun]
	Steps  []pipeline.In[RefineRun]
}

// regTrainer trains one seed of a cell of the terrain networks with the
// settings base and scores it on the test cells.
func regTrainer(c pipeline.Ctx, base NetParams, t TerrainScaled) func(arch string, lr float64, seed uint64) (netAndRun, error) {
	xt, yt := pointsMatrix(t.Train)
	xv, yv := pointsMatrix(t.Val)
	xs, _ := pointsMatrix(t.Test)
	return func(arch string, lr float64, seed uint64) (netAndRun, error) {
		np := base
		np.Arch, np.Train.LR, np.Seed = arch, lr, seed
		net, r, err := trainNet(quiet(c), np, xt, yt, xv, yv, models.MonitorCost)
		if err == nil {
			scoreTerrain(&r, t, net, xv, xs)
		}
		return netAndRun{net, r}, err
	}
}

func grid(r, c int) [][]float64 {
	g := make([][]float64, r)
	for i := range g {
		g[i] = make([]float64, c)
	}
	return g
}

// regressionTune picks the best cell of one kind of terrain network on the
// validation cells, and evaluates it on the test cells for every seed.
// RegTuneParams are a tuning's grid and the resampling of the paired test
// that marks the cells level with the best (the report's).
type RegTuneParams struct {
	TuneParams
	Bootstrap BootstrapParams `json:"bootstrap"`
}

func regressionTune(c pipeline.Ctx, rp RegTuneParams, in TuneInput) (RegTune, error) {
	p := rp.TuneParams
	cells, err := gridCells(RunsInput{in.Runs}.byName(), p)
	if err != nil {
		return RegTune{}, err
	}
	t := in.Scaled.Value
	xs, _ := pointsMatrix(t.Test)
	train := regTrainer(c, p.Base, t)
	done, err := collectSteps(p, in.Steps)
	if err != nil {
		return RegTune{}, err
	}
	tn, err := replayRefine(p, cells, done, nil)
	if err != nil {
		return RegTune{}, fmt.Errorf("refining %s: %w", p.Label, err)
	}
	h := tn.heat()
	h.Level, h.Worse = tn.levelWithBest(h, rp.Bootstrap.config())
	best := tn.Cells[tn.Best]
	out := RegTune{Label: p.Label, Heat: h, BestArch: tn.Best.Arch, BestLR: tn.Best.LR, Curves: best.Runs, BestStages: cellStages(p, done, tn.Best)}
	for i := range h.Diverged {
		for j := range h.Diverged[i] {
			if h.Diverged[i][j] {
				out.DivergedCells++
			}
		}
	}
	var vals []float64
	var bestEpochs []int
	for _, r := range best.Runs {
		vals = append(vals, r.BestValErr)
		bestEpochs = append(bestEpochs, r.BestEpoch)
	}
	out.BestVal, out.BestSD = meanSD(vals)
	b := budgetOf(p.Base.Train.Epochs, bestEpochs)
	out.Edges = Edges{What: networkWhat(p.Label, best.Runs), Axes: tn.Edges, Budget: &b}
	// The test error of the chosen cell, per seed, as its runs scored it;
	// the map of predictions is the first seed's network trained again
	// (the same seed gives the same network).
	for _, r := range best.Runs {
		out.TestMSE = append(out.TestMSE, r.TestMSE)
		out.TestR2 = append(out.TestR2, r.TestR2)
	}
	first, err := train(tn.Best.Arch, tn.Best.LR, p.Seeds[0])
	if err != nil {
		return out, err
	}
	out.Pred = append([]float64(nil), first.net.Predict(xs).RawMatrix().Data...)
	return out, nil
}

// networkWhat names a kind of network for warnings: "ReLU terrain network".
func networkWhat(label string, runs []NetRun) string {
	if len(label) > 6 && label[:6] == "extra." {
		return "terrain network " + label[6:]
	}
	return activationName(label) + " terrain network"
}

type netAndRun struct {
	net *models.Network
	run NetRun
}

// quiet is c without progress reports (for training loops run side by
// side), still stopping when the run is cancelled.
func quiet(c pipeline.Ctx) pipeline.Ctx {
	if c == nil {
		return nil
	}
	return quietCtx{c}
}

type quietCtx struct{ pipeline.Ctx }

func (quietCtx) Progress(int, int) {}
