package stages

import (
	"fmt"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
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

// linearRidge fits Ridge in closed form for every candidate lambda and keeps
// the one with the lowest validation error.
func linearRidge(_ pipeline.Ctx, p RidgeParams, in LinearInput) (LinearFit, error) {
	d, t := in.Design.Value, in.Scaled.Value
	var best LinearFit
	var path []LambdaScore
	for i, l := range p.Lambdas {
		beta, err := models.Ridge(d.Train.Dense(), t.Train.Z, l)
		if err != nil {
			return LinearFit{}, fmt.Errorf("Ridge lambda=%g: %w", l, err)
		}
		val := models.MSE(t.Val.Z, models.LinearPredict(d.Val.Dense(), beta))
		path = append(path, LambdaScore{Lambda: l, ValMSE: val})
		if i == 0 || val < best.ValMSE {
			best = LinearFit{Lambda: l, Beta: beta, ValMSE: val}
		}
	}
	f := scoreLinear("ridge", best.Lambda, best.Beta, d, t)
	f.Path = path
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
	return f
}
