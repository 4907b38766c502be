package stages

import (
	"fmt"
	"math"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/plots"
)

// Figure is a rendered figure: SVG bytes stored as the output "figure.svg".
type Figure struct {
	SVG []byte `json:"-"`
}

// Artifacts stores the SVG as its own output, so the report (and diff)
// read it without decoding JSON.
func (f Figure) Artifacts() map[string][]byte { return map[string][]byte{"figure.svg": f.SVG} }

func figure(svg []byte, err error) (Figure, error) { return Figure{SVG: svg}, err }

// figTerrainSplit draws the terrain and the training and validation points.
func figTerrainSplit(c *pipeline.Context) (Figure, error) {
	g, err := pipeline.Input[TerrainGrid](c, "terrain/load")
	if err != nil {
		return Figure{}, err
	}
	s, err := pipeline.Input[TerrainSplit](c, "terrain/split")
	if err != nil {
		return Figure{}, err
	}
	return figure(plots.TerrainSplit(g.Rows, g.Cols, g.Z, s.Role(),
		plots.WithTitle("Terrain: training, validation and test cells"), plots.WithColorLabel("elevation (m)")))
}

// ScheduleParams are the example schedule of the learning-rate figure.
type ScheduleParams struct {
	LR0    float64 `json:"lr0"`
	Decay  float64 `json:"decay"`
	RampUp int     `json:"ramp_up"`
	Steps  int     `json:"steps"`
}

func figSchedule(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[ScheduleParams](c)
	if err != nil {
		return Figure{}, err
	}
	var steps, lr []float64
	stride := max(1, p.Steps/500)
	for i := 0; i <= p.Steps; i += stride {
		steps = append(steps, float64(i))
		lr = append(lr, models.LearningRate(i, p.LR0, p.Decay, p.RampUp))
	}
	return figure(plots.Schedule(steps, lr, fmt.Sprintf("Learning rate: γ0 = %g, decay = %g, %d ramp-up steps", p.LR0, p.Decay, p.RampUp)))
}

func figDigitSamples(c *pipeline.Context) (Figure, error) {
	d, err := pipeline.Input[DigitsData](c, "digits/load")
	if err != nil {
		return Figure{}, err
	}
	imgs := make([][]float64, 10)
	labels := make([]int, 10)
	for i, l := range d.Labels {
		if imgs[l] == nil {
			imgs[l] = d.Images[i]
		}
	}
	for k := range labels {
		labels[k] = k
	}
	return figure(plots.DigitSamples(imgs, labels, plots.WithTitle("The first image of each class")))
}

func figClassCounts(c *pipeline.Context) (Figure, error) {
	s, err := pipeline.Input[DigitsSplit](c, "digits/split")
	if err != nil {
		return Figure{}, err
	}
	conv := func(a [3][10]int) [][]int {
		out := make([][]int, 3)
		for i := range a {
			out[i] = a[i][:]
		}
		return out
	}
	return figure(plots.ClassCounts([]string{"random split", "per-class split"}, []string{"training", "validation", "test"},
		[][][]int{conv(s.RandomCounts), conv(s.Counts)}, plots.WithTitle("Images per class in each set")))
}

func epochs(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	return x
}

// series is the band over runs of curves, named.
func series(name string, curves [][]float64) plots.Series {
	m, lo, hi := band(curves)
	return plots.Series{Name: name, X: epochs(len(m)), Mean: m, Lo: lo, Hi: hi}
}

func linCurves(runs []LinSGDRun) (curves [][]float64, best []float64) {
	bi := -1
	for i, r := range runs {
		curves = append(curves, r.ValErr)
		if !r.Diverged && (bi < 0 || r.BestValErr < runs[bi].BestValErr) {
			bi = i
		}
	}
	if bi >= 0 {
		best = runs[bi].ValErr
	}
	return curves, best
}

func figSGDGrid(c *pipeline.Context) (Figure, error) {
	s, err := pipeline.Input[LinSGDSummary](c, "linear/sgd/summary")
	if err != nil {
		return Figure{}, err
	}
	var panels []plots.Panel
	cols := 0
	for _, cell := range s.Grid {
		curves, best := linCurves(cell.Runs)
		sr := series("validation MSE", curves)
		if best != nil && len(best) == len(sr.Mean) {
			sr.Best = best
		}
		if cell.BatchSize == s.Grid[0].BatchSize {
			cols++
		}
		panels = append(panels, plots.Panel{Title: fmt.Sprintf("batch %d, γ0 = %g", cell.BatchSize, cell.LR), Series: []plots.Series{sr}, LogY: true})
	}
	return figure(plots.Bands(fmt.Sprintf("SGD on Ridge (λ = %g, momentum %g): validation error, band over seeds, dashed: best seed", s.Grid[0].Runs[0].Lambda, s.Grid[0].Momentum),
		"epoch", "validation MSE", panels, plots.WithColumns(cols)))
}

func figSGDMomentum(c *pipeline.Context) (Figure, error) {
	s, err := pipeline.Input[LinSGDSummary](c, "linear/sgd/summary")
	if err != nil {
		return Figure{}, err
	}
	var ser []plots.Series
	for _, cell := range s.Momentum {
		curves, _ := linCurves(cell.Runs)
		ser = append(ser, series(fmt.Sprintf("momentum %g", cell.Momentum), curves))
	}
	cell := s.Momentum[0]
	return figure(plots.Bands(fmt.Sprintf("SGD on Ridge with momentum (batch %d, γ0 = %g): band over seeds", cell.BatchSize, cell.LR),
		"epoch", "validation MSE", []plots.Panel{{Series: ser, LogY: true}}))
}

func figSGDBetas(c *pipeline.Context) (Figure, error) {
	ols, err := pipeline.Input[BetaRuns](c, "linear/betas/ols")
	if err != nil {
		return Figure{}, err
	}
	ridge, err := pipeline.Input[BetaRuns](c, "linear/betas/ridge")
	if err != nil {
		return Figure{}, err
	}
	d, err := pipeline.Input[Design](c, "terrain/design")
	if err != nil {
		return Figure{}, err
	}
	group := func(name string, b BetaRuns) plots.BoxGroup {
		g := plots.BoxGroup{Name: name, Values: make([][]float64, len(d.Terms))}
		for _, run := range b.Betas {
			for j, v := range run {
				g.Values[j] = append(g.Values[j], v)
			}
		}
		return g
	}
	return figure(plots.BetaBoxes(d.Terms, []plots.BoxGroup{
		group(fmt.Sprintf("OLS trained by SGD (%d runs)", len(ols.Betas)), ols),
		group(fmt.Sprintf("Ridge (λ = %g) trained by SGD (%d runs)", ridge.Lambda, len(ridge.Betas)), ridge),
	}, ridge.Reference, fmt.Sprintf("closed-form Ridge, λ = %g", ridge.Lambda)))
}

func figRegressionHeat(c *pipeline.Context) (Figure, error) {
	names, err := pipeline.Params[[]string](c)
	if err != nil {
		return Figure{}, err
	}
	var panels []plots.HeatPanel
	for _, n := range names {
		t, err := pipeline.Input[RegTune](c, n)
		if err != nil {
			return Figure{}, err
		}
		panels = append(panels, heatPanel(activationName(t.Label), t.Heat, false))
	}
	return figure(plots.HeatMaps("Terrain networks: validation MSE, mean ± sd over seeds", "learning rate γ0", "architecture", panels, "%.4f", true, plots.WithLogColor()))
}

func heatPanel(title string, h Heat, accuracy bool) plots.HeatPanel {
	p := plots.HeatPanel{Title: title, Diverged: h.Diverged, Mean: h.Mean, SD: h.SD}
	for _, a := range h.Archs {
		p.YTicks = append(p.YTicks, a)
	}
	for _, l := range h.LRs {
		p.XTicks = append(p.XTicks, num(l))
	}
	if accuracy {
		p.Mean = grid(len(h.Mean), len(h.LRs))
		for i := range h.Mean {
			for j := range h.Mean[i] {
				p.Mean[i][j] = 100 * (1 - h.Mean[i][j])
				p.SD[i][j] = 100 * h.SD[i][j]
			}
		}
	}
	return p
}

func activationName(a string) string {
	switch a {
	case "relu":
		return "ReLU"
	case "leaky_relu":
		return "leaky ReLU"
	case "sigmoid":
		return "sigmoid"
	case "softmax":
		return "softmax"
	}
	if name, ok := strings.CutPrefix(a, "extra."); ok {
		return "extension " + name
	}
	return a
}

// RegCurvesParams name the tuning stages of the terrain-curves figure.
type RegCurvesParams struct {
	Tunes []string `json:"tunes"`
}

func figRegressionCurves(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[RegCurvesParams](c)
	if err != nil {
		return Figure{}, err
	}
	var ser []plots.Series
	longest := 0
	for _, n := range p.Tunes {
		t, err := pipeline.Input[RegTune](c, n)
		if err != nil {
			return Figure{}, err
		}
		var curves [][]float64
		for _, r := range t.Curves {
			curves = append(curves, r.ValErr)
		}
		s := series(fmt.Sprintf("%s %s, γ0 = %g", activationName(t.Label), t.BestArch, t.BestLR), curves)
		longest = max(longest, len(s.X))
		ser = append(ser, s)
	}
	sgd, err := pipeline.Input[LinSGDSummary](c, "linear/sgd/summary")
	if err != nil {
		return Figure{}, err
	}
	curves, _ := linCurves(sgd.Best.Runs)
	ser = append(ser, series(fmt.Sprintf("Ridge by SGD, batch %d, γ0 = %g", sgd.Best.BatchSize, sgd.Best.LR), curves))
	ridge, err := pipeline.Input[LinearFit](c, "linear/ridge")
	if err != nil {
		return Figure{}, err
	}
	flat := make([]float64, longest)
	for i := range flat {
		flat[i] = ridge.ValMSE
	}
	ser = append(ser, plots.Series{Name: fmt.Sprintf("Ridge, closed form (λ = %g)", ridge.Lambda), X: epochs(longest), Mean: flat})
	return figure(plots.Bands("Terrain: validation error of the best model of each kind (band over seeds)", "epoch", "validation MSE",
		[]plots.Panel{{Series: ser, LogY: true}}))
}

// MapsParams name what the terrain-predictions figure draws.
type MapsParams struct {
	Tunes []string `json:"tunes"`
}

func figTerrainMaps(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[MapsParams](c)
	if err != nil {
		return Figure{}, err
	}
	t, err := pipeline.Input[TerrainScaled](c, "terrain/scale")
	if err != nil {
		return Figure{}, err
	}
	full := func(vals []float64) []float64 {
		z := make([]float64, t.Rows*t.Cols)
		for i := range z {
			z[i] = math.NaN()
		}
		for k, i := range t.Test.Index {
			z[i] = vals[k]
		}
		return z
	}
	panels := []plots.MapPanel{{Title: "truth (test cells)", Z: full(t.Test.Z)}}
	ridge, err := pipeline.Input[LinearFit](c, "linear/ridge")
	if err != nil {
		return Figure{}, err
	}
	panels = append(panels, plots.MapPanel{Title: "Ridge", Z: full(ridge.TestPred)})
	for _, n := range p.Tunes {
		rt, err := pipeline.Input[RegTune](c, n)
		if err != nil {
			return Figure{}, err
		}
		panels = append(panels, plots.MapPanel{Title: fmt.Sprintf("%s %s", activationName(rt.Label), rt.BestArch), Z: full(rt.Pred)})
	}
	return figure(plots.TerrainMaps(t.Rows, t.Cols, panels, plots.WithTitle("Scaled height on the test cells: truth and predictions"), plots.WithColumns(3)))
}

// DigitsHeatParams say which hidden activation a digits heat-map figure shows.
type DigitsHeatParams struct {
	Hidden string `json:"hidden"`
}

func figDigitsHeat(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[DigitsHeatParams](c)
	if err != nil {
		return Figure{}, err
	}
	t, err := pipeline.Input[ClsTune](c, "neural/classification/tune")
	if err != nil {
		return Figure{}, err
	}
	var panels []plots.HeatPanel
	for _, pn := range t.Panels {
		if pn.Hidden == p.Hidden {
			panels = append(panels, heatPanel(activationName(pn.Output)+" output", pn.Heat, true))
		}
	}
	return figure(plots.HeatMaps(fmt.Sprintf("Digits, %s hidden layers: validation accuracy (%%), mean ± sd over seeds", activationName(p.Hidden)),
		"learning rate γ0", "architecture", panels, "%.1f", false))
}

func figConfusion(c *pipeline.Context) (Figure, error) {
	t, err := pipeline.Input[ClsTune](c, "neural/classification/tune")
	if err != nil {
		return Figure{}, err
	}
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = fmt.Sprint(i)
	}
	return figure(plots.Confusion(labels, t.Best.Runs[0].Confusion, fmt.Sprintf("Confusion matrix on the test set: %s, %s hidden, %s output, seed %d",
		t.Best.Arch, activationName(t.Best.Hidden), t.Best.Output, t.Best.Runs[0].Seed)))
}

func figDigitsCurves(c *pipeline.Context) (Figure, error) {
	t, err := pipeline.Input[ClsTune](c, "neural/classification/tune")
	if err != nil {
		return Figure{}, err
	}
	lg, err := pipeline.Input[SeedsSummary](c, "logistic/sgd")
	if err != nil {
		return Figure{}, err
	}
	bl, err := pipeline.Input[SeedsSummary](c, "baseline/keras-style")
	if err != nil {
		return Figure{}, err
	}
	curves := func(runs []NetRun, val bool) [][]float64 {
		var out [][]float64
		for _, r := range runs {
			if val {
				out = append(out, r.ValErr)
			} else {
				out = append(out, r.TrainErr)
			}
		}
		return out
	}
	var val, train []plots.Series
	for _, m := range []struct {
		name string
		runs []NetRun
	}{
		{fmt.Sprintf("network %s (%s, %s output)", t.Best.Arch, activationName(t.Best.Hidden), t.Best.Output), t.Best.Runs},
		{"logistic regression (SGD)", lg.Runs},
		{"Keras-style " + bl.Runs[0].Arch + " (Adam)", bl.Runs},
	} {
		val = append(val, series(m.name, curves(m.runs, true)))
		train = append(train, series(m.name, curves(m.runs, false)))
	}
	return figure(plots.Bands("Digits: error rate (1 - accuracy) per epoch, band over seeds", "epoch", "1 - accuracy",
		[]plots.Panel{{Title: "validation", Series: val, LogY: true}, {Title: "training", Series: train, LogY: true}}))
}

func figOutputLayer(c *pipeline.Context) (Figure, error) {
	t, err := pipeline.Input[ClsTune](c, "neural/classification/tune")
	if err != nil {
		return Figure{}, err
	}
	var panels []plots.Panel
	for _, b := range []ClsBest{t.Softmax, t.Sigmoid} {
		if len(b.Runs) == 0 {
			continue
		}
		var wm, wlo, whi, bm, blo, bhi []float64
		r := b.Runs[0]
		for e := range r.OutWMean {
			wm, wlo, whi = append(wm, r.OutWMean[e]), append(wlo, r.OutWMean[e]-r.OutWSD[e]), append(whi, r.OutWMean[e]+r.OutWSD[e])
			bm, blo, bhi = append(bm, r.OutBMean[e]), append(blo, r.OutBMean[e]-r.OutBSD[e]), append(bhi, r.OutBMean[e]+r.OutBSD[e])
		}
		title := fmt.Sprintf("%s output (%s, %s)", b.Output, b.Arch, activationName(b.Hidden))
		x := epochs(len(wm))
		panels = append(panels,
			plots.Panel{Title: title + ": weights", YLabel: "weight, mean ± sd", Series: []plots.Series{{Name: "output-layer weights", X: x, Mean: wm, Lo: wlo, Hi: whi}}},
			plots.Panel{Title: title + ": biases", YLabel: "bias, mean ± sd", Series: []plots.Series{{Name: "output-layer biases", X: x, Mean: bm, Lo: blo, Hi: bhi}}})
	}
	return figure(plots.ParamNorms("Output-layer parameters during training (first seed)", panels, plots.WithColumns(2)))
}

// CurveFigParams name the learning-curve stages.
type CurveFigParams struct {
	Points []string `json:"points"`
}

func figLearningCurve(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[CurveFigParams](c)
	if err != nil {
		return Figure{}, err
	}
	var ridge, net plots.Series
	ridge.Name = "Ridge, closed form"
	for _, n := range p.Points {
		pt, err := pipeline.Input[CurvePoint](c, n)
		if err != nil {
			return Figure{}, err
		}
		net.Name = fmt.Sprintf("network %s (%s, γ0 = %g)", pt.NetArch, activationName(pt.NetLabel), pt.NetLR)
		ridge.X = append(ridge.X, float64(pt.NTrain))
		ridge.Mean = append(ridge.Mean, pt.RidgeTestMSE)
		m, _ := meanSD(pt.NetTestMSE)
		lo, hi := minMax(pt.NetTestMSE)
		net.X = append(net.X, float64(pt.NTrain))
		net.Mean, net.Lo, net.Hi = append(net.Mean, m), append(net.Lo, lo), append(net.Hi, hi)
	}
	return figure(plots.LearningCurve("Terrain: test error against the number of training points", "test MSE", []plots.Series{ridge, net}, true))
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// DAGParams are the graph to draw, with grid points grouped.
type DAGParams struct {
	Nodes []string `json:"nodes"`
	Edges [][2]int `json:"edges"`
}

func figDAG(c *pipeline.Context) (Figure, error) {
	p, err := pipeline.Params[DAGParams](c)
	if err != nil {
		return Figure{}, err
	}
	return figure(plots.DAG(p.Nodes, p.Edges, nil, plots.WithTitle("The pipeline's stages (grid points grouped)")))
}
