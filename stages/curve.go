package stages

import (
	"fmt"
	"math"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
)

// CurveParams configure one point of the terrain learning curve: the grid
// spacing, the Ridge candidates, and the tuned networks to choose the best
// from (on their validation error at the study's spacing).
type CurveParams struct {
	XSparsity int       `json:"x_sparsity"`
	Degree    int       `json:"degree"`
	Lambdas   []float64 `json:"lambdas"`
	Tunes     []string  `json:"tunes"`
	Base      NetParams `json:"base"` // training settings of the grid
	Seeds     []uint64  `json:"seeds"`
	// RefXSparsity is the spacing the networks were tuned at: every point
	// trains for the optimisation steps Base.Train gives there, so that
	// points differ only in their data.
	RefXSparsity int `json:"ref_x_sparsity,omitempty"`
}

// CurvePoint is the test error of closed-form Ridge and of the best network
// at one training-set size.
type CurvePoint struct {
	XSparsity    int
	NTrain       int
	RidgeLambda  float64
	RidgeTestMSE float64
	NetLabel     string
	NetArch      string
	NetLR        float64
	NetTestMSE   []float64 // per seed
	// The training budget of the network at this size: the same number of
	// optimisation steps at every size (Epochs x steps per epoch), early
	// stopping scaled alike; and the epochs of the best validation error.
	Steps, Epochs, Patience int
	NetBestEpoch            []int
}

// Metrics: terrain.curve.xs<k>.ridge_test_mse and .nn_test_mse (mean, .sd
// and per-seed values over seeds).
func (p CurvePoint) Metrics() map[string]float64 {
	pre := fmt.Sprintf("terrain.curve.xs%d.", p.XSparsity)
	m, sd := meanSD(p.NetTestMSE)
	out := map[string]float64{pre + "ridge_test_mse": p.RidgeTestMSE, pre + "nn_test_mse": m, pre + "nn_test_mse.sd": sd, pre + "n_train": float64(p.NTrain)}
	pipeline.PutSeedValues(out, pre+"nn_test_mse", p.NetTestMSE)
	return out
}

// CurvePointInput is what a point of the learning curve reads: the grid,
// to split it at its own spacing, and the tuned networks.
type CurvePointInput struct {
	Grid  pipeline.In[TerrainGrid]
	Tunes []pipeline.In[RegTune]
}

func learningCurve(c pipeline.Ctx, p CurveParams, in CurvePointInput) (CurvePoint, error) {
	g := in.Grid.Value
	split, err := splitGrid(g.Rows, g.Cols, p.XSparsity)
	if err != nil {
		return CurvePoint{}, err
	}
	t := scaleTerrain(g.Grid, split)
	out := CurvePoint{XSparsity: p.XSparsity, NTrain: len(t.Train.Z)}

	// Ridge, lambda (0 included) chosen on the validation cells.
	xt := models.PolyFeatures(t.Train.X, t.Train.Y, p.Degree)
	xv := models.PolyFeatures(t.Val.X, t.Val.Y, p.Degree)
	bestVal := math.Inf(1)
	var beta []float64
	for _, l := range append([]float64{0}, p.Lambdas...) { // λ = 0: OLS is a candidate too
		b, err := models.OLS(xt, t.Train.Z)
		if l > 0 {
			b, err = models.Ridge(xt, t.Train.Z, l)
		}
		if err != nil {
			return out, err
		}
		if v := models.MSE(t.Val.Z, models.LinearPredict(xv, b)); v < bestVal {
			bestVal, beta, out.RidgeLambda = v, b, l
		}
	}
	out.RidgeTestMSE = models.MSE(t.Test.Z, models.LinearPredict(models.PolyFeatures(t.Test.X, t.Test.Y, p.Degree), beta))

	// The best network of the tuning, retrained on this training set.
	var best RegTune
	for i, tin := range in.Tunes {
		rt := tin.Value
		if i == 0 || rt.BestVal < best.BestVal {
			best = rt
		}
	}
	out.NetLabel, out.NetArch, out.NetLR = best.Label, best.BestArch, best.BestLR
	base := p.Base
	if len(best.Curves) > 0 {
		base.Hidden = best.Curves[0].Hidden
	}
	ptr, ytr := pointsMatrix(t.Train)
	pva, yva := pointsMatrix(t.Val)
	pte, _ := pointsMatrix(t.Test)
	tp := base.Train
	tp.BatchSize = min(tp.BatchSize, len(t.Train.Z))
	if p.RefXSparsity > 0 {
		ref, err := splitGrid(g.Rows, g.Cols, p.RefXSparsity)
		if err != nil {
			return out, err
		}
		perEpoch := func(n int) int { return (n + tp.BatchSize - 1) / tp.BatchSize }
		refSteps := perEpoch(len(ref.Train))
		spe := perEpoch(len(t.Train.Z))
		out.Steps = tp.Epochs * refSteps
		tp.Epochs = (out.Steps + spe - 1) / spe
		// No early stopping: every size trains for the whole budget and
		// keeps its best epoch, so that sizes differ only in their data.
		tp.Patience = 0
	}
	out.Epochs, out.Patience = tp.Epochs, tp.Patience
	rs, err := parallelSeeds(c, p.Seeds, func(seed uint64) (netAndRun, error) {
		np := base
		np.Arch, np.Train, np.Seed = best.BestArch, tp, seed
		np.Train.LR = best.BestLR
		net, r, err := trainNet(quiet(c), np, ptr, ytr, pva, yva, models.MonitorCost)
		return netAndRun{net, r}, err
	})
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		out.NetTestMSE = append(out.NetTestMSE, models.MSE(t.Test.Z, r.net.Predict(pte).RawMatrix().Data))
		out.NetBestEpoch = append(out.NetBestEpoch, r.run.BestEpoch)
	}
	return out, nil
}
