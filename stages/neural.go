package stages

import (
	"fmt"
	"math"

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
	BestEpoch, EpochsRun int
	BestValErr           float64
	Diverged             bool
	DivEpoch             int
	Stopped              string
	// Output-layer parameters per epoch (for the softmax/sigmoid figure).
	OutWMean, OutWSD, OutBMean, OutBSD []float64
	// Classification only: scores of the restored best network.
	ValAcc, TestAcc float64
	Confusion       [][]int
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
	h, err := net.Train(xt, yt, xv, yv, stoppable(c, p.Train.config(p.Seed, monitor)), progress(c))
	if err != nil {
		return nil, NetRun{}, err
	}
	r := NetRun{Arch: p.Arch, Hidden: p.Hidden, Output: p.Output, LR: p.Train.LR, Seed: p.Seed,
		BestEpoch: h.BestEpoch, EpochsRun: len(h.Epochs) - 1, BestValErr: h.BestValErr,
		Diverged: h.Diverged, DivEpoch: h.DivergedEpoch, Stopped: h.Stopped}
	for _, e := range h.Epochs {
		r.TrainErr = append(r.TrainErr, e.TrainErr)
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
	_, r, err := trainNet(c, p, xt, yt, xv, yv, models.MonitorCost)
	return r, err
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
}

// Heat is a grid of mean and sd of the validation error over seeds, by
// architecture (rows) and learning rate (columns).
type Heat struct {
	Archs    []string
	LRs      []float64
	Mean, SD [][]float64
	Diverged [][]bool // every seed of the cell diverged
}

// RegTune is the tuning result of one kind of terrain network.
type RegTune struct {
	Label           string
	Heat            Heat
	BestArch        string
	BestLR          float64
	BestVal, BestSD float64
	Curves          []NetRun  // the best cell's runs, one per seed
	TestMSE, TestR2 []float64 // per seed, retrained best cell
	Pred            []float64 // test-cell predictions of the first seed
	DivergedCells   int
}

// Metrics: terrain.nn.<label>.test_mse and .test_r2 (mean, and .sd).
func (t RegTune) Metrics() map[string]float64 {
	p := "terrain.nn." + t.Label + "."
	m, sd := meanSD(t.TestMSE)
	r, rsd := meanSD(t.TestR2)
	return map[string]float64{p + "test_mse": m, p + "test_mse.sd": sd, p + "test_r2": r, p + "test_r2.sd": rsd,
		p + "val_mse": t.BestVal, p + "val_mse.sd": t.BestSD}
}

// heat gathers the runs of every candidate and picks the best cell (lowest
// mean validation error; a cell with a diverged seed is never best).
// RunsInput is the grid points a summary gathers, by stage name.
type RunsInput struct{ Runs []pipeline.In[NetRun] }

func (in RunsInput) byName() map[string]NetRun {
	m := make(map[string]NetRun, len(in.Runs))
	for _, r := range in.Runs {
		m[r.Name()] = r.Value
	}
	return m
}

// TuneInput is what a tuning stage of the terrain networks reads.
type TuneInput struct {
	Scaled pipeline.In[TerrainScaled]
	Runs   []pipeline.In[NetRun]
}

func heat(byName map[string]NetRun, p TuneParams) (Heat, int, [][]NetRun, error) {
	h := Heat{Archs: p.Archs, LRs: p.LRs}
	ai, li := map[string]int{}, map[float64]int{}
	for i, a := range p.Archs {
		ai[a] = i
	}
	for i, l := range p.LRs {
		li[l] = i
	}
	h.Mean = grid(len(p.Archs), len(p.LRs))
	h.SD = grid(len(p.Archs), len(p.LRs))
	h.Diverged = make([][]bool, len(p.Archs))
	for i := range h.Diverged {
		h.Diverged[i] = make([]bool, len(p.LRs))
	}
	runs := make([][]NetRun, len(p.Candidates))
	best := -1
	bestMean := math.Inf(1)
	for ci, cand := range p.Candidates {
		var vals []float64
		div := 0
		for _, st := range cand.Stages {
			r, ok := byName[st]
			if !ok {
				return h, 0, nil, fmt.Errorf("the inputs hold no run %s", st)
			}
			runs[ci] = append(runs[ci], r)
			if r.Diverged {
				div++
				continue
			}
			vals = append(vals, r.BestValErr)
		}
		i, j := ai[cand.Arch], li[cand.LR]
		m, sd := meanSD(vals)
		h.Mean[i][j], h.SD[i][j] = m, sd
		h.Diverged[i][j] = div == len(cand.Stages)
		if div > 0 {
			continue // a cell with a diverged seed is never the best
		}
		if m < bestMean {
			best, bestMean = ci, m
		}
	}
	if best < 0 {
		return h, -1, runs, fmt.Errorf("every cell of the %s grid had a diverged seed", p.Label)
	}
	return h, best, runs, nil
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
func regressionTune(c pipeline.Ctx, p TuneParams, in TuneInput) (RegTune, error) {
	h, best, runs, err := heat(RunsInput{in.Runs}.byName(), p)
	if err != nil {
		return RegTune{}, err
	}
	out := RegTune{Label: p.Label, Heat: h, BestArch: p.Candidates[best].Arch, BestLR: p.Candidates[best].LR, Curves: runs[best]}
	for i := range h.Diverged {
		for j := range h.Diverged[i] {
			if h.Diverged[i][j] {
				out.DivergedCells++
			}
		}
	}
	var vals []float64
	for _, r := range runs[best] {
		vals = append(vals, r.BestValErr)
	}
	out.BestVal, out.BestSD = meanSD(vals)
	t := in.Scaled.Value
	xt, yt := pointsMatrix(t.Train)
	xv, yv := pointsMatrix(t.Val)
	xs, _ := pointsMatrix(t.Test)
	for i, seed := range p.Seeds {
		np := p.Base
		np.Arch, np.Train.LR, np.Seed = out.BestArch, out.BestLR, seed
		net, _, err := trainNet(nil, np, xt, yt, xv, yv, models.MonitorCost)
		if err != nil {
			return out, err
		}
		pred := net.Predict(xs).RawMatrix().Data
		out.TestMSE = append(out.TestMSE, models.MSE(t.Test.Z, pred))
		out.TestR2 = append(out.TestR2, models.R2(t.Test.Z, pred))
		if i == 0 {
			out.Pred = append([]float64(nil), pred...)
		}
		c.Progress(i+1, len(p.Seeds))
	}
	return out, nil
}
