package stages

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/report"
)

// LinearFit is a closed-form linear model fitted on the training points.
type LinearFit struct {
	Model  string // "ols" or "ridge"
	Lambda float64
	Beta   []float64
	// Path is the validation error for every candidate lambda (Ridge).
	Path                   []LambdaScore
	TrainMSE, ValMSE       float64
	TestMSE, TestR2, ValR2 float64
	TestPred               []float64 // prediction for every test point, in TerrainScaled.Test order
	TestBlockSE            []float64 // mean squared error per tile of test cells (see testBlocks)
	// Ridge only: where the chosen λ lies on its axis, and the validation
	// error of the unpenalised fit (λ = 0) it is compared with.
	Edges     *Edges  `json:",omitempty"`
	OLSValMSE float64 `json:",omitempty"`
}

// LambdaScore is the validation error of one Ridge penalty.
type LambdaScore struct {
	Lambda, ValMSE float64
}

// Metrics names the fit's test metrics terrain.<model>.test_mse and .test_r2.
func (f LinearFit) Metrics() map[string]float64 {
	p := "terrain." + f.Model + "."
	m := map[string]float64{p + "test_mse": f.TestMSE, p + "test_r2": f.TestR2, p + "val_mse": f.ValMSE}
	if f.Model == "ridge" {
		m[p+"lambda"] = f.Lambda
	}
	return m
}

// RidgeParams are the candidate penalties of linear/ridge; the one with the
// lowest validation error is kept.
type RidgeParams struct {
	Lambdas []float64 `json:"lambdas"`
	// RefineSteps is how many penalties one grid ratio beyond the chosen
	// one linear/ridge may add when the chosen one is on an edge.
	RefineSteps int `json:"refine_steps,omitempty"`
}

// ridgeParams sets the parameters of linear/ridge from params.yaml (Build calls it).
func ridgeParams(t config.Terrain) RidgeParams {
	return RidgeParams{Lambdas: t.RidgeLambdas, RefineSteps: t.RidgeRefineSteps}
}

// LinearInput is what the closed-form fits read: the features and the
// scaled points (for the targets and the test cells).
type LinearInput struct {
	Design pipeline.In[Design]
	Scaled pipeline.In[TerrainScaled]
}

// linearOLS fits ordinary least squares in closed form (QR).
func linearOLS(_ pipeline.Ctx, _ struct{}, in LinearInput) (LinearFit, error) {
	d, t := in.Design.Value, in.Scaled.Value
	beta, err := models.OLS(d.Train.Dense(), t.Train.Z)
	if err != nil {
		return LinearFit{}, fmt.Errorf("OLS: %w", err)
	}
	return scoreLinear("ols", 0, beta, d, t), nil
}

// linearRidge fits Ridge in closed form for every candidate lambda and for
// λ = 0 (OLS), and keeps the one with the lowest validation error: the
// linear baseline. When the best is the unpenalised fit or the smallest
// positive λ, it tries penalties one grid ratio below the smallest (and
// above the largest when the best is there), up to RefineSteps of them.
func linearRidge(_ pipeline.Ctx, p RidgeParams, in LinearInput) (LinearFit, error) {
	d, t := in.Design.Value, in.Scaled.Value
	fits := map[float64]LinearFit{}
	fit := func(l float64) error {
		var beta []float64
		var err error
		if l == 0 {
			beta, err = models.OLS(d.Train.Dense(), t.Train.Z)
		} else {
			beta, err = models.Ridge(d.Train.Dense(), t.Train.Z, l)
		}
		if err != nil {
			return fmt.Errorf("closed-form Ridge with lambda %g: %w", l, err)
		}
		fits[l] = LinearFit{Lambda: l, Beta: beta, ValMSE: models.MSE(t.Val.Z, models.LinearPredict(d.Val.Dense(), beta))}
		return nil
	}
	for _, l := range append([]float64{0}, p.Lambdas...) {
		if _, ok := fits[l]; ok {
			continue
		}
		if err := fit(l); err != nil {
			return LinearFit{}, err
		}
	}
	olsVal := fits[0].ValMSE
	// lambdas are the candidates in ascending order, 0 first.
	lambdas := func() []float64 { return slices.Sorted(maps.Keys(fits)) }
	bestIndex := func() int {
		ls := lambdas()
		bi := 0
		for i, l := range ls {
			if fits[l].ValMSE < fits[ls[bi]].ValMSE {
				bi = i
			}
		}
		return bi
	}
	for range p.RefineSteps {
		ls := lambdas()
		bi := bestIndex()
		var next float64
		switch {
		case len(ls) < 3: // 0 and one positive λ: no ratio to step by
		case bi == len(ls)-1:
			next = ls[bi] * ls[bi] / ls[bi-1]
		case bi <= 1:
			next = ls[1] * ls[1] / ls[2]
		}
		if !(next > 0) || math.IsInf(next, 0) {
			break
		}
		next = roundSig(next, 3)
		if _, ok := fits[next]; ok {
			break
		}
		if err := fit(next); err != nil {
			return LinearFit{}, err
		}
	}
	ls := lambdas()
	bi := bestIndex()
	best := fits[ls[bi]]
	f := scoreLinear("ridge", best.Lambda, best.Beta, d, t)
	for _, l := range ls {
		f.Path = append(f.Path, LambdaScore{Lambda: l, ValMSE: fits[l].ValMSE})
	}
	labels := make([]string, len(ls))
	for i, l := range ls {
		labels[i] = report.FormatSig(l, 2)
	}
	a := axisEdge("λ", labels, bi)
	switch {
	case bi == 0 && len(ls) > 1:
		a.Bound = true
		a.Reason = fmt.Sprintf("it is that end, the unpenalised fit (OLS), and it scores %s on validation against %s for the smallest positive penalty tried (λ = %s): at degree %d with %d training points no penalty tried helps, and the linear baseline is OLS",
			sig3(olsVal), sig3(fits[ls[1]].ValMSE), report.FormatSig(ls[1], 2), d.Degree, len(t.Train.Z))
	case a.High:
		a.Reason = fmt.Sprintf("the refinement stopped after its %d %s", p.RefineSteps, numfmt.Plural(p.RefineSteps, "step", "steps"))
	}
	f.Edges = &Edges{What: "closed-form Ridge", Axes: []AxisEdge{a}}
	f.OLSValMSE = olsVal
	return f, nil
}

func scoreLinear(model string, lambda float64, beta []float64, d Design, t TerrainScaled) LinearFit {
	f := LinearFit{Model: model, Lambda: lambda, Beta: beta}
	f.TrainMSE = models.MSE(t.Train.Z, models.LinearPredict(d.Train.Dense(), beta))
	valPred := models.LinearPredict(d.Val.Dense(), beta)
	f.ValMSE = models.MSE(t.Val.Z, valPred)
	f.ValR2 = models.R2(t.Val.Z, valPred)
	f.TestPred = models.LinearPredict(models.PolyFeatures(t.Test.X, t.Test.Y, d.Degree), beta)
	f.TestMSE = models.MSE(t.Test.Z, f.TestPred)
	f.TestR2 = models.R2(t.Test.Z, f.TestPred)
	f.TestBlockSE = t.blockSE(f.TestPred)
	return f
}
