package stages

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
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
	// points differ only in their data; heights are scaled by that split's
	// training range at every point, so that errors compare across points.
	RefXSparsity int `json:"ref_x_sparsity,omitempty"`
	// Sizes are the spacings of every point of the curve: each point is
	// scored on the cells that are test cells at all of them, in tiles of
	// the largest spacing (or RefXSparsity), so that points compare
	// pairwise.
	Sizes []int `json:"sizes,omitempty"`
	// Capacity, when set, trains the chosen architecture with more
	// capacity instead, for the same steps: "wider" doubles every hidden
	// layer, "deeper" adds one more hidden layer as wide as the last (see
	// capacityArch). Such a point is a stage of its own beside the point
	// of the chosen architecture, so that both train side by side.
	Capacity string `json:"capacity,omitempty"`
	// Budget multiplies the steps of the tuned budget at this size (0 or
	// 1: the same steps as at RefXSparsity).
	Budget int `json:"budget,omitempty"`
}

// Capacities of the learning curve's points (CurveParams.Capacity).
const (
	CapacityWider  = "wider"
	CapacityDeeper = "deeper"
)

// CurvePoint is the test error of closed-form Ridge and of the best network
// at one training-set size.
type CurvePoint struct {
	XSparsity    int
	NTrain       int
	RidgeLambda  float64
	RidgeTestMSE float64
	NetLabel     string
	// Capacity is CurveParams.Capacity: "" for the chosen architecture,
	// else the architecture NetArch has more capacity than the chosen one.
	Capacity   string
	NetArch    string
	NetLR      float64
	NetTestMSE []float64 // per seed
	// Scored on the cells that are test cells at every point of the curve
	// (CommonTest of them), per tile: the linear baseline's and, per seed,
	// the network's squared error.
	CommonTest  int
	TileCount   []float64 // common test cells per tile
	RidgeTileSE []float64
	NetTileSE   [][]float64
	// The training budget of the network at this size: the same number of
	// optimisation steps at every size (Epochs x steps per epoch), early
	// stopping scaled alike; and the epochs of the best validation error.
	Steps, Epochs, Patience int
	NetBestEpoch            []int
	// NetTailGain is, per seed that did not diverge, how much the last
	// quarter of the budget lowered the best validation error: (best of the
	// first three quarters - best of all) / best of the first three
	// quarters. Near 0, the network had levelled off; well above, it was
	// still improving when the budget ended.
	NetTailGain []float64 `json:",omitempty"`
}

// sameSteps reports whether every point trains its networks for the same
// number of optimisation steps.
func sameSteps(points []CurvePoint) bool {
	for _, p := range points {
		if p.Steps != points[0].Steps {
			return false
		}
	}
	return true
}

// stepsPhrase says the networks' budgets of the points: "the same 36,000
// optimisation steps at every size" or "36,000, 72,000 and 144,000
// optimisation steps at the successive sizes".
func stepsPhrase(points []CurvePoint) string {
	if len(points) == 0 {
		return ""
	}
	if sameSteps(points) {
		return fmt.Sprintf("the same %s optimisation steps at every size", numfmt.Thousands(points[0].Steps))
	}
	var steps []string
	for _, p := range points {
		steps = append(steps, numfmt.Thousands(p.Steps))
	}
	return joinAnd(steps) + " optimisation steps at the successive sizes"
}

// tailGain is NetTailGain of one run's validation curve (epoch 0 first);
// ok is false for a curve too short to split.
func tailGain(val []float64) (float64, bool) {
	cut := 3 * (len(val) - 1) / 4
	if cut < 1 {
		return 0, false
	}
	before := slices.Min(val[:cut+1])
	if before <= 0 {
		return 0, false
	}
	return (before - min(before, slices.Min(val))) / before, true
}

// Metrics: terrain.curve.xs<k>.ridge_test_mse and .nn_test_mse (mean, .sd
// and per-seed values over seeds); terrain.curve.xs<k>.<capacity>. for a
// point of more capacity.
func (p CurvePoint) Metrics() map[string]float64 {
	pre := fmt.Sprintf("terrain.curve.xs%d.", p.XSparsity)
	if p.Capacity != "" {
		pre += p.Capacity + "."
	}
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
	ref := split
	if p.RefXSparsity > 0 {
		if ref, err = splitGrid(g.Rows, g.Cols, p.RefXSparsity); err != nil {
			return CurvePoint{}, err
		}
	}
	t := scaleTerrainBy(g.Grid, split, ref)
	out := CurvePoint{XSparsity: p.XSparsity, NTrain: len(t.Train.Z)}
	// The common test cells: test cells at every size of the curve.
	common, err := commonTest(g.Rows, g.Cols, append([]int{p.XSparsity}, p.Sizes...))
	if err != nil {
		return out, err
	}
	pos := map[int]int{}
	for k, i := range t.Test.Index {
		pos[i] = k
	}
	var ct PointSet
	for _, i := range common {
		k := pos[i]
		ct.X, ct.Y, ct.Z, ct.Index = append(ct.X, t.Test.X[k]), append(ct.Y, t.Test.Y[k]), append(ct.Z, t.Test.Z[k]), append(ct.Index, i)
	}
	out.CommonTest = len(common)
	tile := max(p.RefXSparsity, p.XSparsity) // the same tiles at every point of the curve
	for _, xs := range p.Sizes {
		tile = max(tile, xs)
	}
	tiles := TerrainScaled{Cols: g.Cols, XSparsity: tile, Test: ct}
	_, out.TileCount = testBlocks(g.Cols, tiles.XSparsity, ct.Index)

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
	ridgePred := models.LinearPredict(models.PolyFeatures(ct.X, ct.Y, p.Degree), beta)
	out.RidgeTestMSE = models.MSE(ct.Z, ridgePred)
	out.RidgeTileSE = tiles.blockSE(ridgePred)

	// The best network of the tuning, retrained on this training set.
	var best RegTune
	for i, tin := range in.Tunes {
		rt := tin.Value
		if i == 0 || rt.BestVal < best.BestVal {
			best = rt
		}
	}
	out.NetLabel, out.NetLR, out.Capacity = best.Label, best.BestLR, p.Capacity
	if out.NetArch, err = capacityArch(best.BestArch, p.Capacity); err != nil {
		return out, err
	}
	base := p.Base
	if len(best.Curves) > 0 {
		base.Hidden = best.Curves[0].Hidden
	}
	ptr, ytr := pointsMatrix(t.Train)
	pva, yva := pointsMatrix(t.Val)
	pte, _ := pointsMatrix(ct)
	tp := base.Train
	tp.BatchSize = min(tp.BatchSize, len(t.Train.Z))
	if p.RefXSparsity > 0 {
		perEpoch := func(n int) int { return (n + tp.BatchSize - 1) / tp.BatchSize }
		refSteps := perEpoch(len(ref.Train))
		spe := perEpoch(len(t.Train.Z))
		out.Steps = tp.Epochs * refSteps * max(p.Budget, 1)
		tp.Epochs = (out.Steps + spe - 1) / spe
		// No early stopping: every size trains for the whole budget and
		// keeps its best epoch; NetTailGain says whether it had levelled
		// off.
		tp.Patience = 0
	}
	out.Epochs, out.Patience = tp.Epochs, tp.Patience
	rs, err := parallelSeeds(c, p.Seeds, func(seed uint64) (netAndRun, error) {
		np := base
		np.Arch, np.Train, np.Seed = out.NetArch, tp, seed
		np.Train.LR = best.BestLR
		net, r, err := trainNet(quiet(c), np, ptr, ytr, pva, yva, models.MonitorCost)
		return netAndRun{net, r}, err
	})
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		pred := r.net.Predict(pte).RawMatrix().Data
		out.NetTestMSE = append(out.NetTestMSE, models.MSE(ct.Z, pred))
		out.NetTileSE = append(out.NetTileSE, tiles.blockSE(pred))
		out.NetBestEpoch = append(out.NetBestEpoch, r.run.BestEpoch)
		if g, ok := tailGain(r.run.ValErr); ok && !r.run.Diverged {
			out.NetTailGain = append(out.NetTailGain, g)
		}
	}
	return out, nil
}

// capacityArch is arch with more capacity: "wider" doubles every hidden
// layer ("2x8x8x1" -> "2x16x16x1"), "deeper" adds a hidden layer as wide as
// the last ("2x8x8x1" -> "2x8x8x8x1"), "" leaves it.
func capacityArch(arch, capacity string) (string, error) {
	parts := strings.Split(arch, "x")
	if capacity != "" && len(parts) < 3 {
		return "", fmt.Errorf("learning curve: architecture %q has no hidden layer to make %s", arch, capacity)
	}
	switch capacity {
	case "":
	case CapacityWider:
		for i := 1; i < len(parts)-1; i++ {
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return "", fmt.Errorf("learning curve: architecture %q: %w", arch, err)
			}
			parts[i] = strconv.Itoa(2 * n)
		}
	case CapacityDeeper:
		parts = slices.Insert(parts, len(parts)-1, parts[len(parts)-2])
	default:
		return "", fmt.Errorf("learning curve: capacity %q: want %q or %q", capacity, CapacityWider, CapacityDeeper)
	}
	return strings.Join(parts, "x"), nil
}

// commonTest lists the cells (ascending) that are neither training nor
// validation cells at any of the spacings.
func commonTest(rows, cols int, spacings []int) ([]int, error) {
	used := make([]bool, rows*cols)
	for _, xs := range spacings {
		tr, va := gridSplit(rows, cols, xs)
		for _, i := range append(tr, va...) {
			used[i] = true
		}
	}
	var out []int
	for i, u := range used {
		if !u {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no cell is a test cell at every spacing %v", spacings)
	}
	return out, nil
}
