package stages

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/plots"
)

// Figure is a rendered figure: SVG bytes stored as the output "figure.svg".
type Figure struct {
	SVG []byte `json:"-"`
	CSV []byte `json:"-"` // the data it draws
}

// Artifacts stores the SVG and the CSV of its data as their own outputs,
// so the report (and diff) read them without decoding JSON.
func (f Figure) Artifacts() map[string][]byte {
	return map[string][]byte{"figure.svg": f.SVG, "data.csv": f.CSV}
}

// figTerrainSplit draws the terrain and the training and validation points.
func figTerrainSplit(_ pipeline.Ctx, _ struct{}, in ScaleInput) (Figure, error) {
	g, s := in.Grid.Value, in.Split.Value
	role := s.Role()
	var rows [][]string
	for i, r := range role {
		if r == 1 || r == 2 { // training and validation cells; every other cell is a test cell
			rows = append(rows, []string{fmt.Sprint(i / g.Cols), fmt.Sprint(i % g.Cols), fnum(g.Z[i]), map[int]string{1: "training", 2: "validation"}[int(r)]})
		}
	}
	svg, err := plots.TerrainSplit(g.Rows, g.Cols, g.Z, role,
		plots.WithTitle("Terrain: training, validation and test cells"), plots.WithColorLabel("elevation (m)"))
	return withData(svg, err, csvBytes([]string{"row", "col", "elevation_m", "set"}, rows))
}

// ScheduleParams are the example schedule of the learning-rate figure.
type ScheduleParams struct {
	LR0    float64 `json:"lr0"`
	Decay  float64 `json:"decay"`
	RampUp int     `json:"ramp_up"`
	Steps  int     `json:"steps"`
}

// scheduleParams sets the parameters of figures/schedule from params.yaml (Build calls it).
func scheduleParams(s config.Schedule) ScheduleParams {
	return ScheduleParams{LR0: s.LR0, Decay: s.Decay, RampUp: s.RampUp, Steps: s.Steps}
}

func figSchedule(_ pipeline.Ctx, p ScheduleParams, _ struct{}) (Figure, error) {
	var steps, lr []float64
	stride := max(1, p.Steps/500)
	for i := 0; i <= p.Steps; i += stride {
		steps = append(steps, float64(i))
		lr = append(lr, models.LearningRate(i, models.Schedule{LR0: p.LR0, Decay: p.Decay, RampUp: p.RampUp}))
	}
	svg, err := plots.Schedule(steps, lr, fmt.Sprintf("Learning rate: γ0 = %g, decay = %g, %d ramp-up steps", p.LR0, p.Decay, p.RampUp))
	return withData(svg, err, panelsCSV([]plots.Panel{{Series: []plots.Series{{Name: "learning rate", X: steps, Mean: lr}}}}))
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
	var rows [][]string
	for k, img := range imgs {
		for j, v := range img {
			rows = append(rows, []string{fmt.Sprint(k), fmt.Sprint(j / 8), fmt.Sprint(j % 8), fnum(v)})
		}
	}
	svg, err := plots.DigitSamples(imgs, labels, plots.WithTitle("The first image of each class"))
	return withData(svg, err, csvBytes([]string{"class", "row", "col", "value"}, rows))
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
	var rows [][]string
	for _, split := range []struct {
		name string
		c    [3][10]int
	}{{"random split", s.RandomCounts}, {"per-class split", s.Counts}} {
		for k, set := range []string{"training", "validation", "test"} {
			for class, n := range split.c[k] {
				rows = append(rows, []string{split.name, set, fmt.Sprint(class), fmt.Sprint(n)})
			}
		}
	}
	svg, err := plots.ClassCounts([]string{"random split", "per-class split"}, []string{"training", "validation", "test"},
		[][][]int{conv(s.RandomCounts), conv(s.Counts)}, plots.WithTitle("Images per class in each set"))
	return withData(svg, err, csvBytes([]string{"split", "set", "class", "images"}, rows))
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
	m, lo, hi, n := bandN(curves)
	return plots.Series{Name: name, X: epochs(len(m)), Mean: m, Lo: lo, Hi: hi, N: n}
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

// SGDGridInput is the summary of the linear SGD runs and the same grid on
// OLS (λ = 0).
type SGDGridInput struct {
	SGD pipeline.In[LinSGDSummary]
	OLS []pipeline.In[LinSGDRun]
}

// olsCells groups the SGD-OLS runs by cell, in the order of grid.
func olsCells(grid []LinSGDCell, runs []pipeline.In[LinSGDRun]) []LinSGDCell {
	var out []LinSGDCell
	for _, cell := range grid {
		c := LinSGDCell{BatchSize: cell.BatchSize, LR: cell.LR, Momentum: cell.Momentum}
		for _, r := range runs {
			if r.Value.BatchSize == cell.BatchSize && r.Value.LR == cell.LR {
				c.Runs = append(c.Runs, r.Value)
				if r.Value.Diverged {
					c.Diverged++
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func figSGDGrid(_ pipeline.Ctx, _ struct{}, in SGDGridInput) (Figure, error) {
	s := in.SGD.Value
	ols := olsCells(s.Grid, in.OLS)
	var panels []plots.Panel
	cols := 0
	budget := 0
	for _, cell := range append(slices.Clone(s.Grid), ols...) {
		for _, r := range cell.Runs {
			budget = max(budget, r.Epochs, len(r.ValErr)-1)
		}
	}
	for k, cell := range s.Grid {
		curves, best := linCurves(cell.Runs)
		sr := series("Ridge", curves)
		if best != nil && len(best) == len(sr.Mean) {
			sr.Best = best
		}
		ser := []plots.Series{sr}
		if o := ols[k]; len(o.Runs) > 0 && o.Diverged < len(o.Runs) {
			oc, _ := linCurves(o.Runs)
			ser = append(ser, series("OLS (λ = 0)", oc))
		}
		if cell.BatchSize == s.Grid[0].BatchSize {
			cols++
		}
		title := fmt.Sprintf("batch %d, γ0 = %g", cell.BatchSize, cell.LR)
		pn := plots.Panel{Series: ser, XMin: 0, XMax: float64(max(budget, 1))}
		switch {
		case cell.Diverged == len(cell.Runs):
			title += ": diverged"
			pn.Note = divergedNote(cell.Runs)
		case cell.Diverged > 0:
			pn.Note = fmt.Sprintf("%d of %d seeds diverged", cell.Diverged, len(cell.Runs))
		}
		pn.Title = title
		panels = append(panels, pn)
	}
	// One linear y range for every panel, clipped to where the runs that
	// converged differ (from just below the lowest error to 1.6 times the
	// highest final one): on a log axis down from the first epoch's error
	// the plateaus, the part the grid compares, were squashed into a
	// sliver at the bottom of each panel.
	lo, hi := plateauRange(append(slices.Clone(s.Grid), ols...))
	for i := range panels {
		if hi > lo {
			panels[i].YMin, panels[i].YMax = lo, hi
		} else {
			panels[i].LogY = true
		}
	}
	svg, err := plots.Bands(panels, plots.BandsOptions{Title: fmt.Sprintf("SGD on Ridge (λ = %g) and on OLS (λ = 0), momentum %g: validation error, min–max band over seeds, dashed: Ridge's best seed; y axis clipped to the plateau (the first epochs are off the top)", s.Grid[0].Runs[0].Lambda, s.Grid[0].Momentum),
		XLabel: "epoch", YLabel: "validation MSE"}, plots.WithColumns(cols))
	return withData(svg, err, panelsCSV(panels))
}

// divergedNote says when the runs of a cell that all diverged did: "all 3
// seeds diverged in epoch 2" (or "in epochs 1–3").
func divergedNote(runs []LinSGDRun) string {
	first, last := math.MaxInt, 0
	for _, r := range runs {
		first, last = min(first, r.DivEpoch), max(last, r.DivEpoch)
	}
	when := fmt.Sprintf("in epoch %d", last)
	if first != last {
		when = fmt.Sprintf("in epochs %d–%d", first, last)
	}
	if len(runs) == 1 {
		return "the run diverged " + when
	}
	return fmt.Sprintf("all %d seeds diverged %s", len(runs), when)
}

// plateauRange is the y range of the SGD grid figure: from 0.9 times the
// lowest mean or best-seed error of any cell without a diverged seed to
// 1.6 times the highest final mean error of those cells. It returns 0, 0
// when no cell converged.
func plateauRange(grid []LinSGDCell) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, cell := range grid {
		if cell.Diverged > 0 {
			continue
		}
		curves, best := linCurves(cell.Runs)
		m, _, _, _ := bandN(curves)
		for _, v := range append(slices.Clone(m), best...) {
			if finite(v) && v > 0 {
				lo = math.Min(lo, v)
			}
		}
		for i := len(m) - 1; i >= 0; i-- {
			if finite(m[i]) {
				hi = math.Max(hi, m[i])
				break
			}
		}
	}
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0
	}
	return 0.9 * lo, 1.6 * hi
}

func figSGDMomentum(_ pipeline.Ctx, _ struct{}, in SGDInput) (Figure, error) {
	s := in.SGD.Value
	var ser []plots.Series
	for _, cell := range s.Momentum {
		curves, _ := linCurves(cell.Runs)
		ser = append(ser, series(fmt.Sprintf("momentum %g", cell.Momentum), curves))
	}
	cell := s.Momentum[0]
	panels := []plots.Panel{{Series: ser, LogY: true}}
	svg, err := plots.Bands(panels, plots.BandsOptions{Title: fmt.Sprintf("SGD on Ridge with momentum (batch %d, γ0 = %g): min–max band over seeds", cell.BatchSize, cell.LR),
		XLabel: "epoch", YLabel: "validation MSE"})
	return withData(svg, err, panelsCSV(panels))
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
	var rows [][]string
	for _, m := range []BetaRuns{ols, ridge} {
		for run, b := range m.Betas {
			for j, v := range b {
				rows = append(rows, []string{m.Model + " by SGD", fmt.Sprint(run), d.Terms[j], fnum(v)})
			}
		}
	}
	for j, v := range ridge.Reference {
		rows = append(rows, []string{"ridge closed form", "", d.Terms[j], fnum(v)})
	}
	for run, b := range ols.Init {
		for j, v := range b {
			rows = append(rows, []string{"random start", fmt.Sprint(run), d.Terms[j], fnum(v)})
		}
	}
	svg, err := plots.BetaBoxes(d.Terms, []plots.BoxGroup{
		group(fmt.Sprintf("random starts (%d)", len(ols.Init)), BetaRuns{Betas: ols.Init}),
		group(fmt.Sprintf("OLS trained by SGD (%d runs)", len(ols.Betas)), ols),
		group(fmt.Sprintf("Ridge (λ = %g) trained by SGD (%d runs)", ridge.Lambda, len(ridge.Betas)), ridge),
	}, ridge.Reference, fmt.Sprintf("closed-form Ridge, λ = %g", ridge.Lambda))
	return withData(svg, err, csvBytes([]string{"model", "run", "term", "coefficient"}, rows))
}

// TunesInput is the tuning results of the terrain networks.
type TunesInput struct{ Tunes []pipeline.In[RegTune] }

func figRegressionHeat(_ pipeline.Ctx, _ struct{}, in TunesInput) (Figure, error) {
	var panels []plots.HeatPanel
	for _, tin := range in.Tunes {
		t := tin.Value
		panels = append(panels, heatPanel(activationName(t.Label), t.Heat, false))
	}
	svg, err := plots.HeatMaps(panels, plots.HeatOptions{Title: "Terrain networks: validation MSE, mean ± sd over seeds", XLabel: "learning rate γ0", YLabel: "architecture", LowerIsBetter: true},
		plots.WithLogColor(), plots.WithColorLabel("validation MSE (log scale)"))
	return withData(svg, err, heatCSV("learning_rate", "architecture", panels))
}

func heatPanel(title string, h Heat, accuracy bool) plots.HeatPanel {
	p := plots.HeatPanel{Title: title, Diverged: h.Diverged, Mean: h.Mean, SD: h.SD, Untried: h.Untried, Added: h.Added, Level: h.Level}
	p.YTicks = append(p.YTicks, h.Archs...)
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
	ser = append(ser, plots.Series{Name: linearLabel(ridge.Lambda), X: epochs(longest), Mean: flat})
	// A linear axis clipped to where the models differ: from just below
	// the lowest mean to 1.6 times the highest final error, so that the
	// first epochs' large errors do not flatten the differences that matter.
	lo, top := math.Inf(1), ridge.ValMSE
	for _, s := range ser {
		for _, v := range s.Mean {
			if finite(v) {
				lo = math.Min(lo, v)
			}
		}
		if n := len(s.Mean); n > 0 && finite(s.Mean[n-1]) {
			top = math.Max(top, s.Mean[n-1])
		}
	}
	panels := []plots.Panel{{Series: ser, YMin: 0.9 * lo, YMax: 1.6 * top}}
	svg, err := plots.Bands(panels, plots.BandsOptions{Title: "Terrain: validation error of the best model of each kind (min–max band over seeds)", XLabel: "epoch", YLabel: "validation MSE"})
	return withData(svg, err, panelsCSV(panels))
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
	lin := "Ridge"
	if in.Ridge.Value.Lambda == 0 {
		lin = "OLS"
	}
	panels = append(panels, plots.MapPanel{Title: lin, Z: full(in.Ridge.Value.TestPred)})
	for _, tin := range in.Tunes {
		rt := tin.Value
		panels = append(panels, plots.MapPanel{Title: fmt.Sprintf("%s %s", activationName(rt.Label), rt.BestArch), Z: full(rt.Pred)})
	}
	header := []string{"row", "col"}
	for _, p := range panels {
		header = append(header, p.Title)
	}
	var rows [][]string
	for i := range t.Rows * t.Cols {
		r, c := i/t.Cols, i%t.Cols
		if r%4 != 0 || c%4 != 0 || math.IsNaN(panels[0].Z[i]) {
			continue // every 4th row and column of the test cells
		}
		row := []string{fmt.Sprint(r), fmt.Sprint(c)}
		for _, p := range panels {
			row = append(row, fnum(p.Z[i]))
		}
		rows = append(rows, row)
	}
	// Two maps a row: at the text column's width three were too small to
	// read. The colour bar says what the scaled height is, in metres too.
	svg, err := plots.TerrainMaps(t.Rows, t.Cols, panels, plots.WithTitle("Scaled height on the test cells: truth and predictions"), plots.WithColumns(2),
		plots.WithColorLabel(scaledHeightLabel(t.ZMin, t.ZMax)))
	return withData(svg, err, csvBytes(header, rows))
}

// scaledHeightLabel is the colour-bar label of a map of scaled heights:
// what 0 and 1 are in metres (the training cells' lowest and highest).
func scaledHeightLabel(zmin, zmax float64) string {
	if !finite(zmin) || !finite(zmax) || !(zmax > zmin) {
		return "height, scaled to [0, 1]"
	}
	m := func(z float64) string { return num(math.Round(z*10) / 10) }
	return fmt.Sprintf("height, scaled to [0, 1]: 0 = %s m, 1 = %s m", m(zmin), m(zmax))
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
	lo, hi := accuracyRange(t)
	svg, err := plots.HeatMaps(panels, plots.HeatOptions{Title: fmt.Sprintf("Digits, %s hidden layers: validation accuracy (%%), mean ± sd over seeds", activationName(p.Hidden)),
		XLabel: "learning rate γ0", YLabel: "architecture"}, plots.WithColorRange(lo, hi), plots.WithColorLabel("validation accuracy (%)"))
	return withData(svg, err, heatCSV("learning_rate", "architecture", panels))
}

// accuracyRange is the colour range every digits heat map shares: the
// accuracies (%) of every trained cell of every panel, the low end raised
// to 15 points below the best so that the cells that matter are told apart
// (those below take the end colour; their numbers are printed).
func accuracyRange(t ClsTune) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, pn := range t.Panels {
		h := pn.Heat
		for i := range h.Mean {
			for j := range h.Mean[i] {
				if h.Diverged[i][j] || (h.Untried != nil && h.Untried[i][j]) {
					continue
				}
				a := 100 * (1 - h.Mean[i][j])
				lo, hi = math.Min(lo, a), math.Max(hi, a)
			}
		}
	}
	if !(hi > lo) {
		return 0, 100
	}
	return math.Max(lo, hi-15), hi
}

func figConfusion(_ pipeline.Ctx, _ struct{}, in ClsInput) (Figure, error) {
	t := in.Tune.Value
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = fmt.Sprint(i)
	}
	var rows [][]string
	for i, row := range t.Best.Runs[0].Confusion {
		for j, n := range row {
			rows = append(rows, []string{fmt.Sprint(i), fmt.Sprint(j), fmt.Sprint(n)})
		}
	}
	svg, err := plots.Confusion(labels, t.Best.Runs[0].Confusion, fmt.Sprintf("Confusion matrix on the test set: %s, %s hidden, %s output, seed %d",
		t.Best.Arch, activationName(t.Best.Hidden), t.Best.Output, t.Best.Runs[0].Seed))
	return withData(svg, err, csvBytes([]string{"true_class", "predicted_class", "images"}, rows))
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
	panels := []plots.Panel{{Title: "validation", Series: val, LogY: true}, {Title: "training", Series: train, LogY: true}}
	svg, err := plots.Bands(panels, plots.BandsOptions{Title: "Digits: error rate (1 - accuracy) per epoch, min–max band over seeds", XLabel: "epoch", YLabel: "1 - accuracy"})
	return withData(svg, err, panelsCSV(panels))
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
	svg, err := plots.ParamNorms("Output-layer parameters during training (first seed)", panels, plots.WithColumns(2))
	return withData(svg, err, panelsCSV(panels))
}

// CurveInput is the points of the learning curve.
type CurveInput struct{ Points []pipeline.In[CurvePoint] }

func figLearningCurve(_ pipeline.Ctx, _ struct{}, in CurveInput) (Figure, error) {
	var ridge, net plots.Series
	ridge.Name = "linear, closed form (λ ≥ 0 chosen on validation)"
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
	ser := []plots.Series{ridge, net}
	var points []CurvePoint
	for _, pin := range in.Points {
		points = append(points, pin.Value)
	}
	budget := "at a fixed number of optimisation steps"
	if !sameSteps(points) {
		budget = "with budgets growing with the data"
	}
	svg, err := plots.LearningCurve(ser, plots.CurveOptions{Title: "Terrain: test error " + budget + ", against the number of training points", YLabel: "test MSE", LogY: true})
	return withData(svg, err, panelsCSV([]plots.Panel{{Series: ser}}))
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
	var rows [][]string
	for _, e := range p.Edges {
		rows = append(rows, []string{p.Nodes[e[0]], p.Nodes[e[1]]})
	}
	svg, err := plots.DAG(p.Nodes, p.Edges, nil, plots.WithTitle("The pipeline's stages (grid points grouped)"))
	return withData(svg, err, csvBytes([]string{"from", "to"}, rows))
}

// linearLabel names the linear baseline chosen on validation in figures:
// OLS when λ = 0 won.
func linearLabel(lambda float64) string {
	if lambda == 0 {
		return "OLS, closed form (λ = 0 chosen on validation)"
	}
	return fmt.Sprintf("Ridge, closed form (λ = %g)", lambda)
}
