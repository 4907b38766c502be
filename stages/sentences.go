package stages

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/repro-dev/repro/numfmt"
)

// More sentences of the report computed from the results (see claims.go).

func trimExtra(label string) string { return strings.TrimPrefix(label, "extra.") }

// SGDGridSentence says what the SGD grid figure shows: how close the cells
// end, which diverged, and where the best is.
func (d *reportData) SGDGridSentence() string {
	var ok []LinSGDCell
	var div []string
	for _, c := range d.SGD.Grid {
		if c.Diverged == len(c.Runs) {
			div = append(div, fmt.Sprintf("batch %d at $\\gamma_0 = %s$", c.BatchSize, num(c.LR)))
			continue
		}
		if c.Diverged == 0 {
			ok = append(ok, c)
		}
	}
	var s strings.Builder
	b := d.SGD.Best
	fmt.Fprintf(&s, "@fig:sgd-grid follows the validation error of Ridge trained by SGD for %d combinations of mini-batch size and initial learning rate. ", len(d.SGD.Grid))
	if len(ok) > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range ok {
			lo, hi = math.Min(lo, c.MeanVal), math.Max(hi, c.MeanVal)
		}
		fmt.Fprintf(&s, "The %d cells that did not diverge end between %s and %s", len(ok), sig(lo), sig(hi))
		if hi-lo <= 2*b.SDVal+1e-3*lo {
			s.WriteString(", a spread comparable to that over seeds: the choice among them hardly matters")
		}
		s.WriteString(". ")
	}
	if len(div) > 0 {
		fmt.Fprintf(&s, "Every seed diverged for %s. ", joinAnd(div))
	}
	fmt.Fprintf(&s, "The best cell, batch %d with $\\gamma_0 = %s$, reaches %s.", b.BatchSize, num(b.LR), msdOf(b.MeanVal, b.SDVal))
	return s.String()
}

// MomentumSentence says what the momentum figure shows.
func (d *reportData) MomentumSentence() string {
	ms := d.SGD.Momentum
	if len(ms) == 0 {
		return ""
	}
	var parts, div []string
	for _, c := range ms {
		if c.Diverged == len(c.Runs) {
			div = append(div, num(c.Momentum))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s with $\\mu = %s$", msdOf(c.MeanVal, c.SDVal), num(c.Momentum)))
	}
	var s strings.Builder
	fmt.Fprintf(&s, "@fig:sgd-momentum repeats one cell of the grid (batch %d, $\\gamma_0 = %s$) with different momentum values.", ms[0].Runs[0].BatchSize, num(ms[0].LR))
	if len(parts) > 0 {
		fmt.Fprintf(&s, " The best validation errors are %s", joinAnd(parts))
	}
	if len(div) > 0 {
		fmt.Fprintf(&s, "; with $\\mu = %s$ the runs diverge, the effective step $\\gamma/(1-\\mu)$ being too large", strings.Join(div, ", "))
	}
	s.WriteString(".")
	if m := bestMomentum(ms); m >= 0 {
		fmt.Fprintf(&s, " The lowest is with $\\mu = %s$.", num(ms[m].Momentum))
	}
	return s.String()
}

// BetasSentence tests the study's claim that SGD "regularises", against
// the runs' random starts: closed-form OLS coefficients are so large that
// any small vector is closer to Ridge's, so the question is how far SGD
// moved the coefficients from where they started.
func (d *reportData) BetasSentence() string {
	var ols, ridge *BetaRuns
	for i := range d.Betas {
		switch d.Betas[i].Model {
		case "ols":
			ols = &d.Betas[i]
		case "ridge":
			ridge = &d.Betas[i]
		}
	}
	if ols == nil || ridge == nil || len(ols.Betas) == 0 || len(d.OLS.Beta) != len(ols.Reference) {
		return "@fig:sgd-betas repeats the study's look at the coefficients themselves."
	}
	med := medians(ols.Betas)
	toRidge := dist(med, ols.Reference)
	toOLS := dist(med, d.OLS.Beta)
	spreadOLS, spreadRidge := meanIQR(ols.Betas), meanIQR(ridge.Betas)
	var s strings.Builder
	fmt.Fprintf(&s, "@fig:sgd-betas repeats the study's look at the coefficients: %d SGD runs each of OLS and of Ridge from random starts, and the starts themselves. ", len(ols.Betas))
	fmt.Fprintf(&s, "The medians of the SGD-trained OLS coefficients lie at a distance %s from closed-form Ridge ($\\lambda = %s$) and %s from closed-form OLS, whose coefficients are large ($\\lVert \\beta_{\\mathrm{OLS}} \\rVert = %s$): any small vector is closer to Ridge, so that comparison alone says little. ",
		sig(toRidge), sig(ols.Lambda), sig(toOLS), sig(math.Sqrt(dot(d.OLS.Beta, d.OLS.Beta))))
	if len(ols.Init) == len(ols.Betas) {
		var moved, start []float64
		for i := range ols.Betas {
			moved = append(moved, dist(ols.Betas[i], ols.Init[i]))
			start = append(start, dist(ols.Init[i], ols.Reference))
		}
		m, st := quantile(moved, 0.5), quantile(start, 0.5)
		fmt.Fprintf(&s, "Training moves each run's coefficients a median distance of %s from its start, which lay %s from closed-form Ridge: ", sig(m), sig(st))
		switch {
		case m < 0.25*st:
			fmt.Fprintf(&s, "the kept coefficients have barely left their random starts in %d epochs, so they show that SGD has not converged, not that it regularises. ", ols.Epochs)
		case toRidge < 0.5*st:
			s.WriteString("they have moved most of the way to Ridge: stopped early from small starting values, SGD acts as a penalty, as the study saw. ")
		default:
			s.WriteString("they have moved, but not toward Ridge more than toward anything small. ")
		}
		if n := len(ols.BestEpochs); n > 0 && ols.Epochs > 0 {
			early := 0
			for _, e := range ols.BestEpochs {
				if e*10 <= ols.Epochs {
					early++
				}
			}
			if early > 0 {
				fmt.Fprintf(&s, "%d of the %d runs kept coefficients from the first tenth of their epochs (their lowest validation error came early, and early stopping keeps the best), which is where the outlying boxes come from. ", early, n)
			}
		}
	}
	fmt.Fprintf(&s, "Across runs, the OLS coefficients spread %s as widely as the Ridge ones (mean interquartile range %s against %s).",
		ratioTimes(spreadOLS/spreadRidge), sig(spreadOLS), sig(spreadRidge))
	return s.String()
}

func ratioTimes(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "n/a times"
	}
	return sig(r) + "\u00a0times"
}

func medians(runs [][]float64) []float64 {
	out := make([]float64, len(runs[0]))
	for j := range out {
		col := make([]float64, len(runs))
		for i := range runs {
			col[i] = runs[i][j]
		}
		out[j] = quantile(col, 0.5)
	}
	return out
}

func meanIQR(runs [][]float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	var sum float64
	for j := range runs[0] {
		col := make([]float64, len(runs))
		for i := range runs {
			col[i] = runs[i][j]
		}
		sum += quantile(col, 0.75) - quantile(col, 0.25)
	}
	return sum / float64(len(runs[0]))
}

// quantile is the q-quantile of xs by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}

func dist(a, b []float64) float64 {
	var ss float64
	for i := range a {
		ss += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(ss)
}

// TerrainHeatSentence says what the terrain heat maps show.
func (d *reportData) TerrainHeatSentence() string {
	var s strings.Builder
	var best []string
	for _, t := range d.Reg {
		best = append(best, fmt.Sprintf("%s for %s", t.BestArch, activationName(t.Label)))
	}
	fmt.Fprintf(&s, "the cells of lowest mean validation error are %s. ", joinAnd(best))
	// How much the width matters: best of the study's architectures (at most
	// 8 units per layer) against the best overall, per kind, and whether
	// the paired test separates them.
	var lower, untested, level []string
	for _, t := range d.Reg {
		small, i, j, ok := bestWhere(t.Heat, func(arch string) bool { return maxWidth(arch) <= 8 })
		if !ok || small <= 0 || maxWidth(t.BestArch) <= 8 {
			continue
		}
		by := fmt.Sprintf("%s for %s", pctAbs(relChange(small, t.BestVal)), activationName(t.Label))
		switch {
		case t.Heat.Level != nil && t.Heat.Level[i][j]:
			level = append(level, activationName(t.Label))
		case t.Heat.Worse != nil && t.Heat.Worse[i][j]:
			lower = append(lower, by)
		default:
			untested = append(untested, by)
		}
	}
	if len(lower) > 0 {
		fmt.Fprintf(&s, "Going beyond the study's networks of at most 8 units per layer lowers the best validation MSE by %s, a difference the paired test on the validation tiles confirms. ", joinAnd(lower))
	}
	if len(untested) > 0 {
		fmt.Fprintf(&s, "Going beyond them lowers the best validation MSE by %s, a difference no paired test was run on (a seed of the smaller cell diverged, or the runs carry no validation tiles). ", joinAnd(untested))
	}
	if len(level) > 0 {
		fmt.Fprintf(&s, "For %s, the best of the study's networks of at most 8 units per layer is level with the best cell by that test. ", joinAnd(level))
	}
	return s.String()
}

// bestWhere is the lowest mean of the cells whose architecture satisfies
// keep (trained, not diverged), and its row and column.
func bestWhere(h Heat, keep func(string) bool) (best float64, bi, bj int, ok bool) {
	best = math.Inf(1)
	for i, a := range h.Archs {
		if !keep(a) {
			continue
		}
		for j := range h.LRs {
			if h.Untried[i][j] || h.Diverged[i][j] {
				continue
			}
			if h.Mean[i][j] < best {
				best, bi, bj, ok = h.Mean[i][j], i, j, true
			}
		}
	}
	return best, bi, bj, ok
}

// levelNote says which other cells of a tuning grid a paired test over the
// seeds and units (the validation set's, named by units) cannot separate
// from the best cell (Heat.Level); "" when the grid has no such test.
func levelNote(h Heat, units string) string {
	if h.Level == nil {
		return ""
	}
	var cells []string
	for i, a := range h.Archs {
		for j, lr := range h.LRs {
			if h.Level[i][j] {
				cells = append(cells, fmt.Sprintf("%s at $\\gamma_0 = %s$", a, num(lr)))
			}
		}
	}
	switch {
	case len(cells) == 0:
		return fmt.Sprintf("A paired test over the seeds and the %s separates it from every other cell.", units)
	case len(cells) <= 3:
		they := "they are"
		if len(cells) == 1 {
			they = "the two are"
		}
		return fmt.Sprintf("A paired test over the seeds and the %s cannot separate it from %s: %s level.", units, joinAnd(cells), they)
	default:
		return fmt.Sprintf("A paired test over the seeds and the %s cannot separate it from %d other cells (marked = in the figure): it leads a group of level cells.", units, len(cells))
	}
}

// levelCount is the number of cells of h marked level with its best.
func levelCount(h Heat) int {
	n := 0
	for _, row := range h.Level {
		for _, l := range row {
			if l {
				n++
			}
		}
	}
	return n
}

func maxWidth(arch string) int {
	parts := strings.Split(arch, "x")
	w := 0
	for _, p := range parts[1 : len(parts)-1] {
		var n int
		fmt.Sscan(p, &n)
		w = max(w, n)
	}
	return w
}

// TerrainCurvesSentence says what the best-models figure shows.
func (d *reportData) TerrainCurvesSentence() string {
	var parts []string
	for _, t := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		parts = append(parts, fmt.Sprintf("%s after %s epochs", activationName(t.Label), sig(mean(bestEpochs(t.Curves)))))
	}
	return fmt.Sprintf("@fig:nn-terrain-curves follows the training of the best cell of each kind beside the linear models. The networks reach their lowest validation error %s (mean over seeds); the linear baseline chosen on validation, %s (the horizontal line, %s), is the level to beat.",
		joinAnd(parts), d.linName(), sig(d.Ridge.ValMSE))
}

// PredictionsSentence ranks the predicted surfaces by their mean test
// error over seeds, and names those level with the best.
func (d *reportData) PredictionsSentence() string {
	ms := []method{d.linMethod()}
	r2 := []float64{d.Ridge.TestR2}
	names := []string{d.linShort()}
	for _, t := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		if m := d.netMethod(t); m.ok() {
			ms, r2, names = append(ms, m), append(r2, mean(t.TestR2)), append(names, kindName(t.Label))
		}
	}
	order, tied := d.ranked(ms)
	var parts []string
	for k, i := range order {
		mark := ""
		switch {
		case k == 0:
			mark = ", the best"
		case tied[i]:
			mark = ", level with the best"
		}
		parts = append(parts, fmt.Sprintf("%s (R² %s%s)", names[i], sig(r2[i]), mark))
	}
	return fmt.Sprintf("@fig:terrain-predictions shows the predicted surfaces of the first seed beside the truth. Ranked by their mean test error (R² is the mean over seeds on the study's placement), they are %s; *level* means that a paired bootstrap over %s does not separate the model from the best. A training grid every %d cells cannot resolve relief finer than that spacing: between its points every model interpolates.",
		strings.Join(parts, ", "), overWhat(placesOf(ms)), d.Split.XSparsity)
}

// digitsHiddens are the hidden activations of the digits grid, in the
// order of its panels: one heat-map figure each.
func (d *reportData) digitsHiddens() []string {
	var out []string
	for _, p := range d.Cls.Panels {
		if !slices.Contains(out, p.Hidden) {
			out = append(out, p.Hidden)
		}
	}
	return out
}

// figureRef is a figure of the report as the template places it.
type figureRef struct{ ID, Caption string }

// DigitsHeatFigures are the digits heat maps, one per hidden activation,
// all on one colour scale.
func (d *reportData) DigitsHeatFigures() []figureRef {
	acts := d.digitsHiddens()
	var out []figureRef
	for i, act := range acts {
		study := map[string]string{"sigmoid": ", the study's F12", "relu": ", the study's F13"}[act]
		c := fmt.Sprintf("Digits, %s hidden layers%s: validation accuracy (%%) over architectures and learning rates, mean ± sd over %d seeds, for each output activation; the outlined cell is the best of its panel, cells marked = are level with it by a paired test over the seeds and the validation images", activationName(act), study, d.P.Seeds)
		if len(acts) > 1 {
			if i == 0 {
				c += fmt.Sprintf("; the %d digits heat maps share one colour scale (cells below its low end take its darkest colour)", len(acts))
			} else {
				c += ", on the colour scale of " + figRefText(DigitsHeatFigure(acts[0]))
			}
		}
		out = append(out, figureRef{ID: DigitsHeatFigure(act), Caption: c + "."})
	}
	return out
}

// DigitsHeatRefs refers to every digits heat map: "@fig:a and @fig:b".
func (d *reportData) DigitsHeatRefs() string {
	var refs []string
	for _, act := range d.digitsHiddens() {
		refs = append(refs, figRefText(DigitsHeatFigure(act)))
	}
	return joinAnd(refs)
}

// DigitsHeatFigure is the id of the digits heat map of one hidden
// activation (its stage is figures/<id>).
func DigitsHeatFigure(act string) string { return "nn-digits-heat-" + act }

func figRefText(id string) string { return "@fig:" + id }

// DigitsHeatSentence says what the digits heat maps show.
func (d *reportData) DigitsHeatSentence() string {
	var parts []string
	for _, p := range d.Cls.Panels {
		lo, hi := math.Inf(1), math.Inf(-1)
		h := p.Heat
		for i := range h.Mean {
			for j := range h.Mean[i] {
				if h.Untried[i][j] || h.Diverged[i][j] {
					continue
				}
				a := 1 - h.Mean[i][j]
				lo, hi = math.Min(lo, a), math.Max(hi, a)
			}
		}
		parts = append(parts, fmt.Sprintf("from %s to %s with %s hidden layers and a %s output", pct(lo, 1), pct(hi, 1), activationName(p.Hidden), p.Output))
	}
	out := fmt.Sprintf("%s show%s the validation accuracy of every cell of the digits grid. The cells' mean accuracies range %s.", d.DigitsHeatRefs(), verbS(len(d.digitsHiddens())), joinAnd(parts))
	var counts []string
	tested := false
	for _, p := range d.Cls.Panels {
		tested = tested || p.Heat.Level != nil
		counts = append(counts, strconv.Itoa(levelCount(p.Heat)))
	}
	if tested {
		which := "each panel, in the order of the list below"
		if len(counts) == 1 {
			which = "its panel"
		}
		out += fmt.Sprintf(" A paired test over the seeds and the validation images (McNemar's test and a bootstrap interval, both needed) leaves %s other cells level with the best of %s (marked = in the figures).", joinAnd(counts), which)
	}
	return out
}

// ConfusionSentence names the most frequent mistake of the best network.
func (d *reportData) ConfusionSentence() string {
	if len(d.Cls.Best.Runs) == 0 {
		return ""
	}
	c := d.Cls.Best.Runs[0].Confusion
	bi, bj, bn, wrong, total := -1, -1, 0, 0, 0
	for i := range c {
		for j, n := range c[i] {
			total += n
			if i != j {
				wrong += n
				if n > bn {
					bi, bj, bn = i, j, n
				}
			}
		}
	}
	if bi < 0 {
		return fmt.Sprintf("@fig:confusion shows the confusion matrix of its first seed: all %d test images are classified correctly.", total)
	}
	return fmt.Sprintf("@fig:confusion shows the confusion matrix of its first seed: %d of %d test images are misclassified, and the most frequent mistake is a %d read as a %d (%d image%s).",
		wrong, total, bi, bj, bn, numfmt.Plural(bn, "", "s"))
}

// OutputLayerSentence compares the growth of the output weights of the
// best softmax and sigmoid-output networks over training.
func (d *reportData) OutputLayerSentence() string {
	type growth struct {
		first, last float64
		rising      bool
	}
	of := func(b ClsBest) (growth, bool) {
		if len(b.Runs) == 0 || len(b.Runs[0].OutWSD) < 2 {
			return growth{}, false
		}
		w := b.Runs[0].OutWSD
		n := len(w)
		ref := w[max(0, n-1-max(1, n/10))] // a tenth of the epochs before the end
		return growth{w[0], w[n-1], w[n-1] > 1.01*ref}, true
	}
	sm, ok1 := of(d.Cls.Softmax)
	sg, ok2 := of(d.Cls.Sigmoid)
	if !ok1 || !ok2 {
		return ""
	}
	var s strings.Builder
	fmt.Fprintf(&s, "Over training, the standard deviation of the output weights goes from %s to %s (%s) for the best softmax network and from %s to %s (%s) for the best sigmoid-output network (first seed, @fig:output-layer): ",
		sig(sm.first), sig(sm.last), ratioTimes(sm.last/sm.first), sig(sg.first), sig(sg.last), ratioTimes(sg.last/sg.first))
	if sm.last/sm.first > 100 || sg.last/sg.first > 100 {
		s.WriteString("one of them grows by more than a hundredfold")
	} else {
		s.WriteString("they grow, but neither by a hundredfold, and every prediction stays finite")
	}
	var still []string
	if sm.rising {
		still = append(still, "softmax")
	}
	if sg.rising {
		still = append(still, "sigmoid-output")
	}
	if len(still) > 0 {
		fmt.Fprintf(&s, "; the weights of the %s network%s are still growing over the last tenth of the epochs", joinAnd(still), numfmt.Plural(len(still), "", "s"))
	}
	s.WriteString(".")
	return s.String()
}

// TerrainDiscussion sums up the terrain results.
func (d *reportData) TerrainDiscussion() string {
	var s strings.Builder
	ms, _ := d.netMethods()
	if b := d.bestSentence("terrain network kinds", ms); b != "" {
		s.WriteString(b + " ")
	}
	s.WriteString(d.NetVsRidge(d.bestNet()))
	if l := d.Losers(); len(l) > 0 {
		var names []string
		for _, t := range l {
			names = append(names, activationName(t.Label))
		}
		fmt.Fprintf(&s, " The %s network%s lose%s to the linear baseline by the paired test, which the study's own numbers (on other terrain) did not show.", joinAnd(names), numfmt.Plural(len(names), "", "s"), verbS(len(names)))
	}
	return s.String()
}

// EpochsDiscussion sums up the speed of the digits networks.
func (d *reportData) EpochsDiscussion() string {
	b := d.Cls.Best
	ratio := ""
	if lrs := d.Pub.Digits.BestNetworkLRs; len(lrs) > 0 {
		ratio = fmt.Sprintf(", with a learning rate %s times the study's largest", sig(b.LR/slices.Max(lrs)))
	}
	return fmt.Sprintf("On the digits, our networks reach their best validation error after %s epochs instead of the study's %d (*published*)%s and with Glorot initialisation; early stopping then ends the run, and keeping the best parameters makes the late epochs harmless.",
		sig(mean(bestEpochs(b.Runs))), d.Pub.Digits.StudyEpochs, ratio)
}

// Conclusions are the report's conclusions, one sentence each.
func (d *reportData) Conclusions() []string {
	var out []string
	ms, _ := d.netMethods()
	if b := d.bestSentence("terrain network kinds", ms); b != "" {
		out = append(out, b)
	}
	out = append(out, d.NetVsRidge(d.bestNet()))
	if _, _, ok := d.sgdObjective(); ok {
		if d.SGDReachesClosed() {
			out = append(out, "SGD on Ridge converges to the closed-form solution at the same penalty: the training objective of its kept coefficients is within 1 % of the minimum; the study's gap between SGD and the closed form came from comparing different penalties.")
		} else {
			out = append(out, "SGD on Ridge stays above the closed-form solution at the same penalty within its epochs: the training objective of its kept coefficients is more than 1 % above the minimum.")
		}
	}
	out = append(out, fmt.Sprintf("The best digits network on validation reaches %s test accuracy, logistic regression %s (SGD) and %s (L-BFGS), the Keras-style baseline %s in %d epochs (means with 95 %% intervals over %s).",
		d.accCI(d.bestNetMethod("")), d.accCI(d.logSGDMethod("")), d.accCI(d.lbfgsMethod()), d.accCI(d.kerasMethod("")), d.kerasEpochs(), d.DigitsOver()))
	if b := d.bestSentence("digits methods", d.digitsMethods()); b != "" {
		out = append(out, b)
	}
	out = append(out, "Softmax with cross-entropy trains once its derivative is the full Jacobian's and its exponential is stabilised: "+d.accCI(d.cellMethod("", d.Cls.Softmax))+".")
	if v := d.curveVerdict(); v != "" {
		out = append(out, upperFirst(v)+", with "+stepsPhrase(d.Curve)+".")
	}
	out = append(out, "Every number of this report comes from the pipeline's artifacts and is recorded, with its inputs, in `repro.lock`.")
	return out
}

// Limitations are what the report cannot claim.
// splitLimitation says which variations of the data the intervals include.
func (d *reportData) splitLimitation() string {
	n, k := d.placements(), d.splits()
	if n > 1 || k > 1 {
		s := fmt.Sprintf("Every mean is over %d seeds. ", d.P.Seeds)
		if n > 1 {
			s += fmt.Sprintf("On the terrain, the chosen models' intervals resample the seeds, the test tiles and %d placements of the training grid (the study's and %d shifted within its spacing, [row, column] offsets %s). ", n, n-1, d.offsetList())
		} else {
			s += "On the terrain the intervals resample the seeds and the test tiles, not other placements of the training grid, so they understate the variation a new placement would bring. "
		}
		if k > 1 {
			s += fmt.Sprintf("On the digits, they resample the seeds, the test images and %d splits of the images (the study's and %d drawn with other seeds). ", k, k-1)
		} else {
			s += "On the digits the intervals resample the seeds and the test images, not other draws of the training images, so they understate the variation a new split of the digits would bring. "
		}
		return s + "Tuning ran on the study's data only, so the choice of cell does not vary with the data; with so few placements and splits, the share of the intervals that comes from the data is itself uncertain."
	}
	return fmt.Sprintf("Every mean is over %d seeds, and the 95 %% intervals resample these seeds and the test data; they do not include other data splits (another placement of the terrain's training grid, another draw of the digits' training images), so they understate the variation a new split would bring.", d.P.Seeds)
}

// offsetList lists the further placements' offsets: "[7, 13] and [13, 7]".
func (d *reportData) offsetList() string {
	var out []string
	for _, p := range d.Placed {
		if p.Label == "ridge" {
			out = append(out, fmt.Sprintf("[%d, %d]", p.Row, p.Col))
		}
	}
	return joinAnd(out)
}

func (d *reportData) Limitations() []string {
	out := []string{
		fmt.Sprintf("Our terrain is not the study's (SRTM elevations of an area in Ireland are not available offline), so terrain numbers compare only in kind, and the digits split (%d training images) is ours, not the study's.", len(d.DSplit.Train)),
		d.splitLimitation(),
		"Each tuning chooses its cell on the validation minima over epochs of a noisy curve, on the same cells it reports validation errors for: those validation errors are optimistic, and only test errors compare methods.",
		"Tuning searches learning rate and architecture on a grid, with the other settings (momentum, decay, batch size, patience) fixed as in the study; a refinement extends a grid by a few steps only.",
		"The test set is scored once per chosen configuration, but the choice of what to report (the grids, their widening) was made by looking at validation results of earlier runs.",
	}
	if n := len(d.FlaggedEdges()); n > 0 {
		out = append(out, fmt.Sprintf("%d tuned result%s still lie%s on a grid's edge or at the end of %s epoch budget (called out above).", n, numfmt.Plural(n, "", "s"), verbS(n), theirIts(n)))
	}
	return out
}
