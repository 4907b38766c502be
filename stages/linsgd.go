package stages

import (
	"fmt"
	"slices"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// LinSGDParams configure one SGD run of a linear model on the terrain.
type LinSGDParams struct {
	Lambda float64     `json:"lambda"`
	Train  TrainParams `json:"train"`
	Seed   uint64      `json:"seed"`
}

// LinSGDRun is one SGD run of a linear model: its validation error per epoch
// and its coefficients.
type LinSGDRun struct {
	Lambda     float64
	BatchSize  int
	LR         float64
	Momentum   float64
	Seed       uint64
	ValErr     []float64 // validation MSE per epoch (epoch 0: the initial coefficients)
	BestValErr float64
	BestEpoch  int
	Diverged   bool
	DivEpoch   int
	Beta       []float64
	Epochs     int // the epoch budget
}

func runLinSGD(c pipeline.Ctx, p LinSGDParams, d Design) (LinSGDRun, error) {
	lin := models.NewLinear(d.Train.Cols, p.Lambda, p.Seed)
	h, err := lin.Train(d.Train.Dense(), d.TrainPts.Z, d.Val.Dense(), d.ValPts.Z, stoppable(c, p.Train.config(p.Seed, models.MonitorCost)), progress(c))
	if err != nil {
		return LinSGDRun{}, err
	}
	r := LinSGDRun{Lambda: p.Lambda, BatchSize: p.Train.BatchSize, LR: p.Train.LR, Momentum: p.Train.Momentum, Seed: p.Seed,
		BestValErr: h.BestValErr, BestEpoch: h.BestEpoch, Diverged: h.Diverged, DivEpoch: h.DivergedEpoch, Beta: lin.Beta, Epochs: p.Train.Epochs}
	for _, e := range h.Epochs {
		r.ValErr = append(r.ValErr, e.ValErr)
	}
	return r, nil
}

// linSGD trains one grid point (mini-batch size, learning rate, momentum,
// seed) of a linear model by SGD.
// DesignInput is the polynomial features.
type DesignInput struct{ Design pipeline.In[Design] }

func linSGD(c pipeline.Ctx, p LinSGDParams, in DesignInput) (LinSGDRun, error) {
	return runLinSGD(c, p, in.Design.Value)
}

// BetaRunsParams configure the runs whose coefficients the box plot shows.
type BetaRunsParams struct {
	Model     string         `json:"model"` // "ols" or "ridge"
	Runs      []LinSGDParams `json:"runs"`
	RefLambda float64        `json:"ref_lambda"` // closed-form Ridge to compare with
}

// BetaRuns are the coefficients of many SGD runs of one model, and the
// closed-form Ridge coefficients they are compared with.
type BetaRuns struct {
	Model     string
	Lambda    float64
	Betas     [][]float64 // [run][term]
	Reference []float64
	// Init are the runs' random starting coefficients ([run][term]), the
	// baseline the trained ones are read against; BestEpochs and Epochs
	// say which epoch each run kept (its lowest validation error) of its
	// budget.
	Init       [][]float64
	BestEpochs []int
	Epochs     int
}

func linBetas(c pipeline.Ctx, p BetaRunsParams, in DesignInput) (BetaRuns, error) {
	d := in.Design.Value
	out := BetaRuns{Model: p.Model, Lambda: p.RefLambda}
	var err error
	if out.Reference, err = models.Ridge(d.Train.Dense(), d.TrainPts.Z, p.RefLambda); err != nil {
		return out, err
	}
	for i, rp := range p.Runs {
		r, err := runLinSGD(nil, rp, d)
		if err != nil {
			return out, fmt.Errorf("run %d: %w", i, err)
		}
		out.Betas = append(out.Betas, r.Beta)
		out.Init = append(out.Init, models.NewLinear(d.Train.Cols, rp.Lambda, rp.Seed).Beta)
		out.BestEpochs = append(out.BestEpochs, r.BestEpoch)
		out.Epochs = max(out.Epochs, rp.Train.Epochs)
		c.Progress(i+1, len(p.Runs))
	}
	return out, nil
}

// LinSGDSummary gathers the SGD grid: per (mini-batch size, learning rate)
// and per momentum, the runs over seeds; and the best point, chosen on the
// mean validation error, evaluated on the test cells.
type LinSGDSummary struct {
	Grid     []LinSGDCell // mini-batch size x learning rate, momentum fixed
	Momentum []LinSGDCell // momentum values, best mini-batch size and rate
	Best     LinSGDCell
	TestMSE  []float64 // per seed, of the best cell
	TestR2   []float64
	// TestBlockSE is, per seed of the best cell, the mean squared error in
	// each tile of test cells (see testBlocks).
	TestBlockSE [][]float64
	// Closed is closed-form Ridge at the same λ as the SGD runs, so that
	// SGD is compared with the minimiser of the cost it descends.
	Closed LinearFit
	// Edges say where the best cell lies on the mini-batch and learning-rate
	// axes and whether its best epoch came at the end of the budget;
	// MomentumEdges the same for the momentum runs.
	Edges, MomentumEdges Edges
}

// LinSGDCell is one grid point over seeds.
type LinSGDCell struct {
	BatchSize int
	LR        float64
	Momentum  float64
	Runs      []LinSGDRun
	MeanVal   float64
	SDVal     float64
	Diverged  int
}

// Metrics names the SGD-Ridge test error (mean, sd and per-seed values
// over seeds).
func (s LinSGDSummary) Metrics() map[string]float64 {
	m, sd := meanSD(s.TestMSE)
	r, rsd := meanSD(s.TestR2)
	out := map[string]float64{"terrain.sgd_ridge.test_mse": m, "terrain.sgd_ridge.test_mse.sd": sd,
		"terrain.sgd_ridge.test_r2": r, "terrain.sgd_ridge.test_r2.sd": rsd,
		"terrain.sgd_ridge.val_mse": s.Best.MeanVal}
	pipeline.PutSeedValues(out, "terrain.sgd_ridge.test_mse", s.TestMSE)
	pipeline.PutSeedValues(out, "terrain.sgd_ridge.test_r2", s.TestR2)
	return out
}

func cellsOf(runs []pipeline.In[LinSGDRun], key func(LinSGDRun) string) []LinSGDCell {
	var cells []LinSGDCell
	index := map[string]int{}
	for _, in := range runs {
		r := in.Value
		k := key(r)
		i, ok := index[k]
		if !ok {
			i = len(cells)
			index[k] = i
			cells = append(cells, LinSGDCell{BatchSize: r.BatchSize, LR: r.LR, Momentum: r.Momentum})
		}
		cells[i].Runs = append(cells[i].Runs, r)
	}
	for i := range cells {
		var vals []float64
		for _, r := range cells[i].Runs {
			if r.Diverged {
				cells[i].Diverged++
				continue
			}
			vals = append(vals, r.BestValErr)
		}
		cells[i].MeanVal, cells[i].SDVal = meanSD(vals)
	}
	return cells
}

// LinSGDSummaryInput is the grid and the momentum runs, with the data to
// score the best cell on the test cells.
type LinSGDSummaryInput struct {
	Design   pipeline.In[Design]
	Scaled   pipeline.In[TerrainScaled]
	Grid     []pipeline.In[LinSGDRun]
	Momentum []pipeline.In[LinSGDRun]
}

func linSGDSummary(_ pipeline.Ctx, _ struct{}, in LinSGDSummaryInput) (LinSGDSummary, error) {
	var s LinSGDSummary
	s.Grid = cellsOf(in.Grid, func(r LinSGDRun) string { return fmt.Sprint(r.BatchSize, r.LR) })
	s.Momentum = cellsOf(in.Momentum, func(r LinSGDRun) string { return fmt.Sprint(r.Momentum) })
	best := -1
	for i, cell := range s.Grid {
		if cell.Diverged == 0 && (best < 0 || cell.MeanVal < s.Grid[best].MeanVal) {
			best = i
		}
	}
	if best < 0 {
		return s, fmt.Errorf("every point of the SGD grid diverged")
	}
	s.Best = s.Grid[best]
	t, d := in.Scaled.Value, in.Design.Value
	s.Edges = linSGDEdges(s.Grid, best)
	if m := bestMomentum(s.Momentum); m >= 0 {
		vals := make([]string, len(s.Momentum))
		for i, c := range s.Momentum {
			vals[i] = num(c.Momentum)
		}
		a := axisEdge("momentum", vals, m)
		if a.Low && s.Momentum[m].Momentum == 0 {
			a.Bound, a.Reason = true, "momentum cannot be negative"
		}
		s.MomentumEdges = Edges{What: "SGD on Ridge, momentum", Axes: []AxisEdge{a}, Budget: cellBudget(s.Momentum[m])}
	}
	lambda := s.Best.Runs[0].Lambda
	beta, err := models.Ridge(d.Train.Dense(), t.Train.Z, lambda)
	if err != nil {
		return s, fmt.Errorf("closed-form Ridge at λ = %g: %w", lambda, err)
	}
	s.Closed = scoreLinear("ridge", lambda, beta, d, t)
	s.Closed.TestPred = nil
	x := models.PolyFeatures(t.Test.X, t.Test.Y, d.Degree)
	for _, r := range s.Best.Runs {
		pred := models.LinearPredict(x, r.Beta)
		s.TestMSE = append(s.TestMSE, models.MSE(t.Test.Z, pred))
		s.TestR2 = append(s.TestR2, models.R2(t.Test.Z, pred))
		s.TestBlockSE = append(s.TestBlockSE, t.blockSE(pred))
	}
	return s, nil
}

// bestMomentum is the index of the momentum cell with the lowest mean
// validation error and no diverged seed, or -1.
func bestMomentum(cells []LinSGDCell) int {
	best := -1
	for i, c := range cells {
		if c.Diverged == 0 && (best < 0 || c.MeanVal < cells[best].MeanVal) {
			best = i
		}
	}
	return best
}

// cellBudget checks the best epochs of a cell's runs against their budget.
func cellBudget(c LinSGDCell) *EpochBudget {
	var be []int
	epochs := 0
	for _, r := range c.Runs {
		be = append(be, r.BestEpoch)
		epochs = max(epochs, r.Epochs)
	}
	b := budgetOf(epochs, be)
	return &b
}

// linSGDEdges locates the best cell of the SGD grid along its mini-batch
// and learning-rate axes (the values tried in its row and column).
func linSGDEdges(grid []LinSGDCell, best int) Edges {
	b := grid[best]
	var batches []int
	var lrs []float64
	for _, c := range grid {
		if c.LR == b.LR && !slices.Contains(batches, c.BatchSize) {
			batches = append(batches, c.BatchSize)
		}
		if c.BatchSize == b.BatchSize && !slices.Contains(lrs, c.LR) {
			lrs = append(lrs, c.LR)
		}
	}
	slices.Sort(batches)
	slices.Sort(lrs)
	bl := make([]string, len(batches))
	for i, x := range batches {
		bl[i] = fmt.Sprint(x)
	}
	ba := axisEdge("mini-batch size", bl, slices.Index(batches, b.BatchSize))
	if ba.Low && b.BatchSize == 1 {
		ba.Bound, ba.Reason = true, "a mini-batch cannot be smaller than one point"
	}
	la := axisEdge("learning rate", lrLabels(lrs), slices.Index(lrs, b.LR))
	for _, c := range grid {
		if c.BatchSize == b.BatchSize && c.Diverged > 0 && c.LR > b.LR && slices.Index(lrs, c.LR) == slices.Index(lrs, b.LR)+1 {
			la.Resolved = fmt.Sprintf("%s: %d of %d seeds diverged", num(c.LR), c.Diverged, len(c.Runs))
		}
	}
	return Edges{What: "SGD on Ridge", Axes: []AxisEdge{ba, la}, Budget: cellBudget(b)}
}
