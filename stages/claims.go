package stages

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/report"
)

// The sentences of the report that state a comparison. Each is a function
// of the results, so that the words follow the numbers: claims_test.go
// checks that each sentence changes when the numbers do.

// relChange is (b - a) / a.
func relChange(a, b float64) float64 { return (b - a) / a }

func sig(x float64) string { return nbsp(report.FormatSig(x, 3)) }

func pctAbs(x float64) string { return fmt.Sprintf("%.0f\u00a0%%", 100*math.Abs(x)) }

// SGDvsClosed compares SGD on Ridge with the closed form at the same λ:
// convergence from the training objective of SGD's kept coefficients, the
// comparison on the test cells, and the linear baseline chosen on
// validation beside them.
func (d *reportData) SGDvsClosed() string {
	b, c := d.SGD.Best, d.SGD.Closed
	lambda := report.FormatSig(c.Lambda, 2)
	var s strings.Builder
	if gap, dist, ok := d.sgdObjective(); ok {
		fmt.Fprintf(&s, "At the same penalty, $\\lambda = %s$, the coefficients SGD keeps (those of the epoch with the lowest validation error) have a Ridge training objective %s above the minimum the closed form attains, and lie at a relative distance $\\lVert \\beta - \\beta^* \\rVert / \\lVert \\beta^* \\rVert$ of %s from it (means over %d seeds): ",
			lambda, pctGap(gap), sig(dist), len(b.Runs))
		if d.SGDReachesClosed() {
			s.WriteString("SGD has reached the minimiser of the cost it descends, to within 1 % of its objective. ")
		} else {
			s.WriteString("SGD has not reached the minimiser of the cost it descends within its epochs. ")
		}
	}
	sgd, closed := d.sgdMethod(), method{Name: "the closed form at the same penalty", Metric: models.SquaredError, Runs: [][]float64{c.TestBlockSE}}
	if sgd.ok() && closed.ok() {
		s.WriteString(d.versus(sgd, closed) + " ")
	}
	fmt.Fprintf(&s, "On validation the best SGD cell scores %s and the closed form %s; a validation score here is the lowest over epochs, on the same cells that choose the cell, so it is optimistic, and only the test errors compare fairly.",
		msdOf(b.MeanVal, b.SDVal), sig(c.ValMSE))
	if d.Ridge.Lambda != c.Lambda && sgd.ok() {
		fmt.Fprintf(&s, " The linear baseline chosen on validation is %s: %s", d.linName(), d.versus(sgd, d.linMethod()))
	}
	return s.String()
}

func pctGap(x float64) string {
	if x < 0.001 {
		return "less than 0.1 %"
	}
	return nbsp(report.FormatSig(100*x, 2) + " %")
}

// sgdObjective is, for the best SGD cell, the mean over seeds of the Ridge
// training objective of the kept coefficients relative to its minimum
// (the closed form at the same λ), C(β)/C(β*) - 1, and the mean relative
// distance ‖β − β*‖/‖β*‖.
func (d *reportData) sgdObjective() (gap, dist float64, ok bool) {
	c := d.SGD.Closed
	if len(c.Beta) == 0 || d.Design.Train.Rows == 0 || len(d.SGD.Best.Runs) == 0 {
		return 0, 0, false
	}
	x, y := d.Design.Train.Dense(), d.Design.TrainPts.Z
	obj := func(beta []float64) float64 { return models.RidgeMSE(y, models.LinearPredict(x, beta), beta, c.Lambda) }
	best := obj(c.Beta)
	norm := math.Sqrt(dot(c.Beta, c.Beta))
	n := 0
	for _, r := range d.SGD.Best.Runs {
		if r.Diverged || len(r.Beta) != len(c.Beta) {
			continue
		}
		gap += obj(r.Beta)/best - 1
		dist += distOf(r.Beta, c.Beta) / norm
		n++
	}
	if n == 0 {
		return 0, 0, false
	}
	return gap / float64(n), dist / float64(n), true
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func distOf(a, b []float64) float64 { return dist(a, b) }

// SGDReachesClosed reports whether the kept SGD coefficients' training
// objective is within 1 % of the closed form's minimum at the same λ.
func (d *reportData) SGDReachesClosed() bool {
	gap, _, ok := d.sgdObjective()
	return ok && gap < 0.01
}

func msdOf(m, sd float64) string { return pm(m, sd) }

// NetVsRidge compares the test error of one terrain network kind with the
// linear baseline chosen on validation (paired test over the test tiles
// and seeds).
func (d *reportData) NetVsRidge(t RegTune) string {
	return d.versus(d.netMethod(t), d.linMethod())
}

// Losers are the terrain network kinds that lose to the linear baseline by
// the paired test.
func (d *reportData) Losers() []RegTune {
	var out []RegTune
	for _, t := range d.Reg {
		if m := d.netMethod(t); m.ok() && d.compare(m, d.linMethod()).Outcome == models.Worse {
			out = append(out, t)
		}
	}
	return out
}

// bestNet is the terrain network kind with the lowest mean test error.
func (d *reportData) bestNet() RegTune {
	ms, ts := d.netMethods()
	if len(ms) == 0 {
		return d.BestReg()
	}
	order, _ := d.ranked(ms)
	return ts[order[0]]
}

// LoserDiscussion discusses why a network kind loses to the linear
// baseline, with the numbers that bear on it: its best cell's rate and
// size, and how far its best epoch is into its budget.
func (d *reportData) LoserDiscussion(t RegTune) string {
	best := d.bestNet()
	bm, _, _ := d.interval(d.netMethod(best))
	tm, _, _ := d.interval(d.netMethod(t))
	var s strings.Builder
	fmt.Fprintf(&s, "The %s's best cell, %s at $\\gamma_0 = %s$, ", kindName(t.Label), t.BestArch, num(t.BestLR))
	if t.Edges.Budget != nil && len(t.Edges.Budget.BestEpochs) > 0 {
		fmt.Fprintf(&s, "reaches its best validation error at epoch %s of %d", fmtNum(t.Edges.Budget.Median()), t.Edges.Budget.Epochs)
	}
	fmt.Fprintf(&s, "; its test MSE is %s of the network kind with the lowest mean test MSE (%s, %s), and on validation too it scores %s against %s's %s. ",
		ratioWord(tm/bm), kindName(best.Label), sig(bm), sig(t.BestVal), d.linShort(), sig(d.Ridge.ValMSE))
	if t.Label == "sigmoid" {
		s.WriteString("A hypothesis, not measured here (we record neither the fraction of saturated units nor the gradient norms): sigmoid units saturate, so a sum of a few smooth steps bends the surface only where their slopes are large and learns the fault's sharp relief slowly. ")
	}
	return s.String()
}

// InitSentence compares a tuning's chosen cell with the same cell trained
// at another initialisation (the sigmoid networks at Glorot, the grid at He).
func (d *reportData) InitSentence(t RegTune) string {
	for _, c := range d.InitChecks {
		if c.Label != t.Label {
			continue
		}
		var runs [][]float64
		for _, r := range c.Runs {
			if len(r.TestBlockSE) > 0 {
				runs = append(runs, r.TestBlockSE)
			}
		}
		gridInit := "he"
		for _, e := range d.P.Settings {
			if e.Key == "neural_regression" {
				gridInit = e.Init
			}
		}
		other := method{Name: fmt.Sprintf("the same cell initialised with %s", initName(c.Init)), Metric: models.SquaredError, Runs: runs}
		this := d.netMethod(t)
		this.Name = fmt.Sprintf("the grid's %s initialisation", initName(gridInit))
		if !other.ok() || !this.ok() {
			return ""
		}
		v := d.versus(other, this)
		if d.compare(other, this).Outcome == models.Better {
			return v + " Part of the " + kindName(t.Label) + "'s deficit is its initialisation. "
		}
		return v + " The initialisation does not explain the " + kindName(t.Label) + "'s deficit. "
	}
	return ""
}

func initName(init string) string {
	switch init {
	case "he":
		return "He"
	case "glorot":
		return "Glorot"
	}
	return init
}

func ratioWord(r float64) string {
	return fmt.Sprintf("%s\u00a0times that", report.FormatSig(r, 2))
}

// SoftmaxVsSigmoid compares the best softmax-output and sigmoid-output
// digits networks on the test images (McNemar's test).
func (d *reportData) SoftmaxVsSigmoid() string {
	a, b := d.cellMethod("the best softmax network", d.Cls.Softmax), d.cellMethod("the best sigmoid-output network", d.Cls.Sigmoid)
	if !a.ok() || !b.ok() {
		return ""
	}
	return d.versus(a, b)
}

// EpochsAttribution says what makes our digits networks reach their best
// validation error in far fewer epochs than the study's, with numbers from
// the grid: the best epoch at each learning rate of the best architecture.
func (d *reportData) EpochsAttribution() string {
	b := d.Cls.Best
	var panel *ClsPanel
	for i := range d.Cls.Panels {
		if d.Cls.Panels[i].Hidden == b.Hidden && d.Cls.Panels[i].Output == b.Output {
			panel = &d.Cls.Panels[i]
		}
	}
	ours := mean(bestEpochs(b.Runs))
	var s strings.Builder
	fmt.Fprintf(&s, "Our best digits network reaches its best validation error after %s epochs (mean over seeds), the study's after about %d. ", sig(ours), d.Pub.Digits.StudyEpochs)
	fmt.Fprintf(&s, "Keeping the best parameters and using softmax cannot explain this: the first changes which parameters are kept, not when the validation error is lowest, and our best softmax and sigmoid-output networks need %s and %s epochs, both far from %d. ",
		sig(mean(bestEpochs(d.Cls.Softmax.Runs))), sig(mean(bestEpochs(d.Cls.Sigmoid.Runs))), d.Pub.Digits.StudyEpochs)
	if panel != nil && panel.Heat.BestEpoch != nil {
		i := slices.Index(panel.Heat.Archs, b.Arch)
		var parts []string
		var first, last float64
		n := 0
		for j, lr := range panel.Heat.LRs {
			if panel.Heat.Untried[i][j] || panel.Heat.Diverged[i][j] {
				continue
			}
			e := panel.Heat.BestEpoch[i][j]
			if n == 0 {
				first = e
			}
			last = e
			n++
			parts = append(parts, fmt.Sprintf("%s at $\\gamma_0 = %s$", sig(e), num(lr)))
		}
		if n >= 2 {
			fmt.Fprintf(&s, "What changed is the learning rate: for %s the mean best epoch is %s", b.Arch, joinAnd(parts))
			if last < first {
				s.WriteString(", so larger rates get there sooner")
			} else {
				s.WriteString(", so in our grid the rate alone does not order them")
			}
			if lrs := d.Pub.Digits.BestNetworkLRs; len(lrs) > 0 {
				fmt.Fprintf(&s, "; the study's best networks used $\\gamma_0$ of %s to %s (*published*), %s to %s times smaller than our best network's. ",
					num(slices.Min(lrs)), num(slices.Max(lrs)), report.FormatSig(b.LR/slices.Max(lrs), 2), report.FormatSig(b.LR/slices.Min(lrs), 2))
			}
		}
	}
	s.WriteString("The initialisation changed too: Glorot scales each layer's weights to its fan-in and fan-out, where the study drew every weight from one normal distribution, so its first epochs were spent undoing saturated units.")
	return s.String()
}

// curveMethods are the learning curve's networks at the smallest and the
// largest training set, scored on the same common test tiles, and at each
// the networks of more capacity (wider, deeper) trained there.
func (d *reportData) curveMethods() (small, large method, more [2][]method, ok bool) {
	if len(d.Curve) < 2 {
		return
	}
	f, l := d.Curve[0], d.Curve[len(d.Curve)-1]
	if len(f.NetTileSE) == 0 || len(l.NetTileSE) == 0 {
		return
	}
	small, large = curveMethod("the network", f), curveMethod("the network", l)
	for i, p := range []CurvePoint{f, l} {
		for _, c := range d.CurveCap {
			if c.XSparsity == p.XSparsity && len(c.NetTileSE) == len(p.NetTileSE) {
				more[i] = append(more[i], curveMethod("the "+c.Capacity+" network", c))
			}
		}
	}
	return small, large, more, true
}

// curveMethod is a point of the learning curve as a method: "the network
// (2x32x32x1) on 360 training points".
func curveMethod(what string, p CurvePoint) method {
	return method{Name: fmt.Sprintf("%s (%s) on %d training points", what, p.NetArch, p.NTrain), Metric: models.SquaredError, Runs: p.NetTileSE, W: p.TileCount}
}

// CurveDesign says how the learning curve is built: the budget of
// optimisation steps at each size (the same, or growing with the data),
// and capacity trained for its size's steps.
func (d *reportData) CurveDesign() string {
	if len(d.Curve) == 0 {
		return ""
	}
	budget := "for the **same number of optimisation steps** at every size (fewer epochs on more points, no early stopping, the best epoch kept), so that only the data changes"
	if !sameSteps(d.Curve) {
		budget = fmt.Sprintf("for a budget of optimisation steps that grows with the data (%s; no early stopping, the best epoch kept), so that each size is trained until its validation error levels off, not only until the smallest set's budget runs out", stepsPhrase(d.Curve))
	}
	return "To compare like with like, @fig:learning-curve and @tbl:learning-curve retrain the linear baseline (its penalty, $\\lambda = 0$ included, chosen on validation at each size) and the study's network kind with the lowest validation error on denser training grids, the network " + budget + ". At the smallest and the largest size, the same network is also trained with every hidden layer twice as wide and with one more hidden layer, for its size's steps: capacity is then tested on the same test cells as data."
}

// CurveAnswer answers "data or capacity?" from the learning curve: a
// budget of optimisation steps at each size, every size scaled alike
// and scored on the same test cells, so that more data (the largest
// training set against the smallest) and more capacity (hidden layers
// twice as wide, or one more hidden layer, at the smallest and at the
// largest size) are paired tests on one test metric.
func (d *reportData) CurveAnswer() string {
	small, large, more, ok := d.curveMethods()
	if !ok {
		return ""
	}
	first, last := d.Curve[0], d.Curve[len(d.Curve)-1]
	var s strings.Builder
	fmt.Fprintf(&s, "Every size is scored on the same %s test cells (those that are test cells at every size), with heights scaled as in the study's split. The largest training set has %s times the points of the smallest (%d instead of %d); the networks train for %s. ",
		numfmt.Thousands(first.CommonTest), report.FormatSig(float64(last.NTrain)/float64(first.NTrain), 2), last.NTrain, first.NTrain, stepsPhrase(d.Curve))
	s.WriteString(d.versus(large, small) + " ")
	fmt.Fprintf(&s, "The linear baseline goes from %s to %s. ", sig(first.RidgeTestMSE), sig(last.RidgeTestMSE))
	for i, base := range []method{small, large} {
		for _, m := range more[i] {
			if m.ok() {
				s.WriteString(d.versus(m, base) + " ")
			}
		}
	}
	s.WriteString(d.curveBudget())
	if len(first.NetTailGain) > 0 && len(last.NetTailGain) > 0 && quantile(last.NetTailGain, 0.5) > quantile(first.NetTailGain, 0.5) &&
		quantile(last.NetTailGain, 0.5) >= levelledOff && d.compare(large, small).Outcome == models.Better {
		s.WriteString("The largest training set was the furthest from convergence, so the gain from more data is, if anything, understated. ")
	}
	fmt.Fprintf(&s, "**%s**.", upperFirst(d.curveVerdict()))
	return s.String()
}

// levelledOff is the gain of the last quarter of a budget below which a
// network counts as levelled off (NetTailGain).
const levelledOff = 0.005

// curveBudget says, size by size, whether the networks of the learning
// curve were still improving when their budget ended: by how much the last
// quarter of the budget lowered the best validation error (median over
// seeds), or, for results without that measure, where the best epoch fell.
func (d *reportData) curveBudget() string {
	var still, flat, late []string
	for _, p := range d.Curve {
		if len(p.NetTailGain) > 0 {
			if g := quantile(p.NetTailGain, 0.5); g >= levelledOff {
				still = append(still, fmt.Sprintf("%s at %d points", pct(g, 1), p.NTrain))
			} else {
				flat = append(flat, fmt.Sprint(p.NTrain))
			}
			continue
		}
		var be []float64
		for _, e := range p.NetBestEpoch {
			be = append(be, float64(e))
		}
		if p.Epochs > 0 && quantile(be, 0.5) > 0.9*float64(p.Epochs) {
			late = append(late, fmt.Sprint(p.NTrain))
		}
	}
	var s strings.Builder
	if len(still) > 0 {
		fmt.Fprintf(&s, "The last quarter of the budget still lowered the best validation error by a median of %s: those networks were still improving when it ended, so the comparison is at a fixed budget, not at convergence. ", joinAnd(still))
	}
	if len(flat) > 0 {
		fmt.Fprintf(&s, "At %s points it lowered it by less than %s: those networks had levelled off. ", joinAnd(flat), pct(levelledOff, 1))
	}
	if len(late) > 0 {
		fmt.Fprintf(&s, "At %s training points the best epoch falls in the last tenth of the budget, so those networks may still be improving and the comparison is at a fixed budget, not at convergence. ", joinAnd(late))
	}
	return s.String()
}

// curveVerdict is the answer to "data or capacity?" in a few words, from
// the paired tests of CurveAnswer.
func (d *reportData) curveVerdict() string {
	small, large, more, ok := d.curveMethods()
	if !ok {
		return ""
	}
	data := d.compare(large, small).Outcome == models.Better
	capacity := false
	for i, base := range []method{small, large} {
		for _, m := range more[i] {
			capacity = capacity || (m.ok() && d.compare(m, base).Outcome == models.Better)
		}
	}
	switch {
	case data && capacity:
		return "both more data and more capacity lower the terrain networks' test error, by paired tests"
	case data:
		return "the terrain networks are limited by data: more points lower their test error, wider or deeper layers do not, by paired tests"
	case capacity:
		return "the terrain networks are limited by capacity: wider or deeper layers lower their test error, more points do not, by paired tests"
	}
	return "neither more data nor wider or deeper layers lower the terrain networks' test error by a paired test at this training budget"
}

// kindName names a kind of terrain network: "ReLU network", "extension
// wide-adam".
func kindName(label string) string {
	if strings.HasPrefix(label, "extra.") {
		return "extension network " + strings.TrimPrefix(label, "extra.")
	}
	return activationName(label) + " network"
}

// kerasEpochs is the Keras-style baseline's epoch budget.
func (d *reportData) kerasEpochs() int {
	if len(d.Keras.Runs) > 0 {
		return d.Keras.Runs[0].Epochs
	}
	return 0
}

// KerasExplained explains the Keras-style baseline's gap to the study's
// published accuracy with evidence: its budget in optimisation steps, where
// its best epoch falls, its training accuracy at the end, and what the
// same network reaches trained to convergence.
func (d *reportData) KerasExplained() string {
	k := d.Keras
	if len(k.Runs) == 0 {
		return ""
	}
	r0 := k.Runs[0]
	pub := d.Pub.Digits.Keras
	nTrain := len(d.DSplit.Train)
	batch := d.kerasBatch()
	steps := r0.Epochs * ((nTrain + batch - 1) / batch)
	var trainAcc []float64
	for _, r := range k.Runs {
		if n := len(r.TrainErr); n > 0 {
			trainAcc = append(trainAcc, 1-r.TrainErr[n-1])
		}
	}
	var s strings.Builder
	km, klo, khi := d.interval(d.kerasMethod(""))
	fmt.Fprintf(&s, "The Keras-style baseline reaches %s on the test images (mean, 95 %% interval over %s), against %s *published*", pctCI(km, klo, khi), digitsOver(len(d.DSplit.Test), d.kerasMethod("").places()), pct(pub.TestAccuracy, 1))
	if pub.TestAccuracy < klo || pub.TestAccuracy > khi {
		s.WriteString(", which lies outside our interval. ")
	} else {
		s.WriteString(", which lies inside our interval: the two are not distinguishable on a test set of this size. ")
	}
	fmt.Fprintf(&s, "In %d epochs of %d training images in batches of %d it takes %s optimisation steps; its best validation error comes at epoch %s of %d (median over seeds)",
		r0.Epochs, nTrain, batch, numfmt.Thousands(steps), fmtNum(k.Edges.Budget.Median()), r0.Epochs)
	if k.Edges.Budget.Late {
		s.WriteString(", so it is still improving when the budget ends")
	}
	fmt.Fprintf(&s, ", and its training accuracy at the end is %s (mean ± sd over seeds) against the study's %s. ", pctsd(trainAcc, 1), pct(pub.TrainAccuracy, 1))
	if len(d.KerasLong) > 0 {
		l := d.KerasLong[0]
		long, short := d.kerasLongMethod("the baseline trained to convergence", l), d.kerasMethod("the baseline in the study's budget")
		lm, _, _ := d.interval(long)
		fmt.Fprintf(&s, "Trained to convergence (up to %d epochs, early stopping), the same network reaches %s (the same interval) after %s epochs (mean over seeds on the study's split). ", l.Runs[0].Epochs, d.accCI(long), sig(mean(l.BestEpoch)))
		if long.ok() && short.ok() {
			c := d.compare(long, short)
			s.WriteString(d.versus(long, short) + " ")
			gap := pub.TestAccuracy - km
			closed := lm - km
			switch {
			case c.Outcome == models.Better && closed > 0.5*gap && gap > 0:
				fmt.Fprintf(&s, "Most of the %.1f-point gap to the published number was the budget of steps, not the method.", 100*gap)
			case c.Outcome == models.Better:
				fmt.Fprintf(&s, "More steps close %.1f of the %.1f points. ", 100*closed, 100*gap)
			default:
				s.WriteString("More steps do not change the accuracy by more than the test can see. ")
			}
		}
	}
	if !strings.HasSuffix(s.String(), " ") {
		s.WriteString(" ")
	}
	s.WriteString(d.kerasRawSentence())
	return s.String()
}

// kerasRawSentence says what the inputs' scaling does to the baseline: the
// study fed pixel values 0 to 16, we divide them by 16.
func (d *reportData) kerasRawSentence() string {
	if len(d.KerasRaw) == 0 {
		return "The rest may be the data (the study's split and test set were different) or the inputs' scaling (it fed pixel values 0 to 16, we divide them by 16): hypotheses not tested here."
	}
	raw, scaled := d.kerasRawMethod("the baseline on unscaled pixels (0 to 16, as the study fed them)", d.KerasRaw[0]), d.kerasMethod("the same baseline on pixels divided by 16")
	if !raw.ok() || !scaled.ok() {
		return ""
	}
	c := d.compare(raw, scaled)
	var s strings.Builder
	s.WriteString("To test the inputs' scaling, the baseline is trained again, in the same epochs, on the unscaled pixels. " + d.versus(raw, scaled) + " ")
	gap := d.Pub.Digits.Keras.TestAccuracy - c.MeanB
	switch {
	case c.Outcome == models.Better && gap > 0:
		fmt.Fprintf(&s, "The scaling explains %.1f of the %.1f points between our baseline and the published one; what remains may be the data (the study's split and test set were different), a hypothesis not tested here.", 100*c.Diff, 100*gap)
	case c.Outcome == models.Worse:
		s.WriteString("Unscaled inputs make it worse, so the scaling does not explain the gap; what remains may be the data (the study's split and test set were different), a hypothesis not tested here.")
	default:
		s.WriteString("The scaling makes no difference the test can see, so it does not explain the gap; what remains may be the data (the study's split and test set were different), a hypothesis not tested here.")
	}
	return s.String()
}

// kerasBatch is the baseline's mini-batch size, read from the parameters
// shown in the report's settings table.
func (d *reportData) kerasBatch() int {
	for _, e := range d.P.Settings {
		if e.Key == "baseline" {
			return e.Batch
		}
	}
	return 32
}
