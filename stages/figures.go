package stages

import (
	"fmt"
	"math"
	"slices"
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
func figTerrainSplit(_ pipeline.Ctx, _ struct{}, in ScaleInput) (Figure, error) {
	g, s := in.Grid.Value, in.Split.Value
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

func figSchedule(_ pipeline.Ctx, p ScheduleParams, _ struct{}) (Figure, error) {
	var steps, lr []float64
	stride := max(1, p.Steps/500)
	for i := 0; i <= p.Steps; i += stride {
		steps = append(steps, float64(i))
		lr = append(lr, models.LearningRate(i, p.LR0, p.Decay, p.RampUp))
	}
	return figure(plots.Schedule(steps, lr, fmt.Sprintf("Learning rate: γ0 = %g, decay = %g, %d ramp-up steps", p.LR0, p.Decay, p.RampUp)))
}

func figDigitSamples(_ pipeline.Ctx, _ struct{}, in DigitsInput) (Figure, error) {
	d := in.Digits.Value
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

// DigitsSplitInput is the digits split.
type DigitsSplitInput struct{ Split pipeline.In[DigitsSplit] }

func figClassCounts(_ pipeline.Ctx, _ struct{}, in DigitsSplitInput) (Figure, error) {
	s := in.Split.Value
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

// SGDInput is the summary of the linear SGD runs.
type SGDInput struct{ SGD pipeline.In[LinSGDSummary] }

func figSGDGrid(_ pipeline.Ctx, _ struct{}, in SGDInput) (Figure, error) {
	s := in.SGD.Value
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

func figSGDMomentum(_ pipeline.Ctx, _ struct{}, in SGDInput) (Figure, error) {
	s := in.SGD.Value
	var ser []plots.Series
	for _, cell := range s.Momentum {
		curves, _ := linCurves(cell.Runs)
		ser = append(ser, series(fmt.Sprintf("momentum %g", cell.Momentum), curves))
	}
	cell := s.Momentum[0]
	return figure(plots.Bands(fmt.Sprintf("SGD on Ridge with momentum (batch %d, γ0 = %g): band over seeds", cell.BatchSize, cell.LR),
		"epoch", "validation MSE", []plots.Panel{{Series: ser, LogY: true}}))
}

// BetasInput is what the coefficients figure reads.
type BetasInput struct {
	OLS, Ridge pipeline.In[BetaRuns]
	Design     pipeline.In[Design]
}

func figSGDBetas(_ pipeline.Ctx, _ struct{}, in BetasInput) (Figure, error) {
	ols, ridge, d := in.OLS.Value, in.Ridge.Value, in.Design.Value
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

// TunesInput is the tuning results of the terrain networks.
type TunesInput struct{ Tunes []pipeline.In[RegTune] }

func figRegressionHeat(_ pipeline.Ctx, _ struct{}, in TunesInput) (Figure, error) {
	var panels []plots.HeatPanel
	for _, tin := range in.Tunes {
		t := tin.Value
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
	if act := models.Activation(a); slices.Contains(models.HiddenActivations, act) || slices.Contains(models.OutputActivations, act) {
		return act.Name()
	}
	if name, ok := strings.CutPrefix(a, "extra."); ok {
		return "extension " + name
	}
	return a
}

// BestModelsInput is what the best-models figure draws.
type BestModelsInput struct {
	Tunes []pipeline.In[RegTune]
	SGD   pipeline.In[LinSGDSummary]
	Ridge pipeline.In[LinearFit]
}

func figRegressionCurves(_ pipeline.Ctx, _ struct{}, in BestModelsInput) (Figure, error) {
	var ser []plots.Series
	longest := 0
	for _, tin := range in.Tunes {
		t := tin.Value
		var curves [][]float64
		for _, r := range t.Curves {
			curves = append(curves, r.ValErr)
		}
		s := series(fmt.Sprintf("%s %s, γ0 = %g", activationName(t.Label), t.BestArch, t.BestLR), curves)
		longest = max(longest, len(s.X))
		ser = append(ser, s)
	}
	sgd := in.SGD.Value
	curves, _ := linCurves(sgd.Best.Runs)
	ser = append(ser, series(fmt.Sprintf("Ridge by SGD, batch %d, γ0 = %g", sgd.Best.BatchSize, sgd.Best.LR), curves))
	ridge := in.Ridge.Value
	flat := make([]float64, longest)
	for i := range flat {
		flat[i] = ridge.ValMSE
	}
	ser = append(ser, plots.Series{Name: fmt.Sprintf("Ridge, closed form (λ = %g)", ridge.Lambda), X: epochs(longest), Mean: flat})
	return figure(plots.Bands("Terrain: validation error of the best model of each kind (band over seeds)", "epoch", "validation MSE",
		[]plots.Panel{{Series: ser, LogY: true}}))
}

// MapsInput is what the terrain-predictions figure draws.
type MapsInput struct {
	Tunes  []pipeline.In[RegTune]
	Scaled pipeline.In[TerrainScaled]
	Ridge  pipeline.In[LinearFit]
}

func figTerrainMaps(_ pipeline.Ctx, _ struct{}, in MapsInput) (Figure, error) {
	t := in.Scaled.Value
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
	panels = append(panels, plots.MapPanel{Title: "Ridge", Z: full(in.Ridge.Value.TestPred)})
	for _, tin := range in.Tunes {
		rt := tin.Value
		panels = append(panels, plots.MapPanel{Title: fmt.Sprintf("%s %s", activationName(rt.Label), rt.BestArch), Z: full(rt.Pred)})
	}
	return figure(plots.TerrainMaps(t.Rows, t.Cols, panels, plots.WithTitle("Scaled height on the test cells: truth and predictions"), plots.WithColumns(3)))
}

// DigitsHeatParams say which hidden activation a digits heat-map figure shows.
type DigitsHeatParams struct {
	Hidden string `json:"hidden"`
}

// ClsInput is the digits tuning.
type ClsInput struct{ Tune pipeline.In[ClsTune] }

func figDigitsHeat(_ pipeline.Ctx, p DigitsHeatParams, in ClsInput) (Figure, error) {
	t := in.Tune.Value
	var panels []plots.HeatPanel
	for _, pn := range t.Panels {
		if pn.Hidden == p.Hidden {
			panels = append(panels, heatPanel(activationName(pn.Output)+" output", pn.Heat, true))
		}
	}
	return figure(plots.HeatMaps(fmt.Sprintf("Digits, %s hidden layers: validation accuracy (%%), mean ± sd over seeds", activationName(p.Hidden)),
		"learning rate γ0", "architecture", panels, "%.1f", false))
}

func figConfusion(_ pipeline.Ctx, _ struct{}, in ClsInput) (Figure, error) {
	t := in.Tune.Value
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = fmt.Sprint(i)
	}
	return figure(plots.Confusion(labels, t.Best.Runs[0].Confusion, fmt.Sprintf("Confusion matrix on the test set: %s, %s hidden, %s output, seed %d",
		t.Best.Arch, activationName(t.Best.Hidden), t.Best.Output, t.Best.Runs[0].Seed)))
}

// DigitsCurvesInput is what the digits learning-curves figure draws.
type DigitsCurvesInput struct {
	Tune               pipeline.In[ClsTune]
	Logistic, Baseline pipeline.In[SeedsSummary]
}

func figDigitsCurves(_ pipeline.Ctx, _ struct{}, in DigitsCurvesInput) (Figure, error) {
	t, lg, bl := in.Tune.Value, in.Logistic.Value, in.Baseline.Value
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

func figOutputLayer(_ pipeline.Ctx, _ struct{}, in ClsInput) (Figure, error) {
	t := in.Tune.Value
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

// CurveInput is the points of the learning curve.
type CurveInput struct{ Points []pipeline.In[CurvePoint] }

func figLearningCurve(_ pipeline.Ctx, _ struct{}, in CurveInput) (Figure, error) {
	var ridge, net plots.Series
	ridge.Name = "Ridge, closed form"
	for _, pin := range in.Points {
		pt := pin.Value
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

func figDAG(_ pipeline.Ctx, p DAGParams, _ struct{}) (Figure, error) {
	return figure(plots.DAG(p.Nodes, p.Edges, nil, plots.WithTitle("The pipeline's stages (grid points grouped)")))
}
