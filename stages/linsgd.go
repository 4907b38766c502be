package stages

import (
	"fmt"

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
}

func runLinSGD(c pipeline.Ctx, p LinSGDParams, d Design) (LinSGDRun, error) {
	lin := models.NewLinear(d.Train.Cols, p.Lambda, p.Seed)
	h, err := lin.Train(d.Train.Dense(), d.TrainPts.Z, d.Val.Dense(), d.ValPts.Z, stoppable(c, p.Train.config(p.Seed, models.MonitorCost)), progress(c))
	if err != nil {
		return LinSGDRun{}, err
	}
	r := LinSGDRun{Lambda: p.Lambda, BatchSize: p.Train.BatchSize, LR: p.Train.LR, Momentum: p.Train.Momentum, Seed: p.Seed,
		BestValErr: h.BestValErr, BestEpoch: h.BestEpoch, Diverged: h.Diverged, DivEpoch: h.DivergedEpoch, Beta: lin.Beta}
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

// Metrics names the SGD-Ridge test error (mean and sd over seeds).
func (s LinSGDSummary) Metrics() map[string]float64 {
	m, sd := meanSD(s.TestMSE)
	r, rsd := meanSD(s.TestR2)
	return map[string]float64{"terrain.sgd_ridge.test_mse": m, "terrain.sgd_ridge.test_mse.sd": sd,
		"terrain.sgd_ridge.test_r2": r, "terrain.sgd_ridge.test_r2.sd": rsd,
		"terrain.sgd_ridge.val_mse": s.Best.MeanVal}
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
	x := models.PolyFeatures(t.Test.X, t.Test.Y, d.Degree)
	for _, r := range s.Best.Runs {
		pred := models.LinearPredict(x, r.Beta)
		s.TestMSE = append(s.TestMSE, models.MSE(t.Test.Z, pred))
		s.TestR2 = append(s.TestR2, models.R2(t.Test.Z, pred))
	}
	return s, nil
}
