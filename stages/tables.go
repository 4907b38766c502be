package stages

import (
	"fmt"
	"math"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/report"
)

// msd formats values over seeds as "mean ± sd", the sd to one or two
// significant figures and the mean to the same decimal place (sig is the
// significant digits of a value without spread).
func msd(xs []float64, sig int) string {
	m, sd := meanSD(xs)
	if sd == 0 {
		return nbsp(report.FormatSig(m, sig))
	}
	return pm(m, sd)
}

// nbsp keeps "0.12 ± 0.01" and "98.1 %" on one line.
func nbsp(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

// pctsd formats accuracies over seeds as "98.1 ± 0.4 %", the sd to one or
// two significant figures (decimals is for a value without spread).
func pctsd(xs []float64, decimals int) string {
	m, sd := meanSD(xs)
	if sd == 0 {
		return pct(m, decimals)
	}
	return pmPct(m, sd)
}

func pct(x float64, decimals int) string { return fmt.Sprintf("%.*f\u00a0%%", decimals, 100*x) }

func mean(xs []float64) float64 { m, _ := meanSD(xs); return m }

func sdOf(xs []float64) float64 { _, s := meanSD(xs); return s }

// BestReg is the terrain network kind with the lowest mean validation error.
func (d *reportData) BestReg() RegTune {
	best := d.Reg[0]
	for _, r := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		if r.BestVal < best.BestVal {
			best = r
		}
	}
	return best
}

// NetBeatsRidge reports whether the best network's mean test error is
// below closed-form Ridge's.
func (d *reportData) NetBeatsRidge() bool { return mean(d.BestReg().TestMSE) < d.Ridge.TestMSE }

// SeedNoiseShare is the share of pairs of neighbouring heat-map cells (same
// row or column, both trained and not diverged for every seed) whose means
// differ by less than the larger of their standard deviations over seeds.
func (d *reportData) SeedNoiseShare() float64 {
	var heats []Heat
	for _, r := range d.Reg {
		heats = append(heats, r.Heat)
	}
	for _, p := range d.Cls.Panels {
		heats = append(heats, p.Heat)
	}
	pairs, noisy := 0, 0
	for _, h := range heats {
		cmp := func(i, j, k, l int) {
			if h.Diverged[i][j] || h.Diverged[k][l] || h.Untried[i][j] || h.Untried[k][l] {
				return
			}
			pairs++
			if math.Abs(h.Mean[i][j]-h.Mean[k][l]) < math.Max(h.SD[i][j], h.SD[k][l]) {
				noisy++
			}
		}
		for i := range h.Mean {
			for j := range h.Mean[i] {
				if j+1 < len(h.Mean[i]) {
					cmp(i, j, i, j+1)
				}
				if i+1 < len(h.Mean) {
					cmp(i, j, i+1, j)
				}
			}
		}
	}
	if pairs == 0 {
		return 0
	}
	return float64(noisy) / float64(pairs)
}

// HeatLevelSentence counts the heat maps' cells that the paired test
// against their grid's best (Heat.Level, Heat.Worse) could not separate
// from it; "" when no grid has the test.
func (d *reportData) HeatLevelSentence() string {
	var heats []Heat
	for _, r := range d.Reg {
		heats = append(heats, r.Heat)
	}
	for _, p := range d.Cls.Panels {
		heats = append(heats, p.Heat)
	}
	tested, level := 0, 0
	for _, h := range heats {
		if h.Level == nil || h.Worse == nil {
			continue
		}
		for i := range h.Level {
			for j := range h.Level[i] {
				switch {
				case h.Level[i][j]:
					level++
					tested++
				case h.Worse[i][j]:
					tested++
				}
			}
		}
	}
	if tested == 0 {
		return ""
	}
	return fmt.Sprintf("The paired tests of the heat maps say the same from the validation data: of the %d cells tested against the best cell of their grid (over the seeds and the tiles of validation cells or the validation images), %d (%s) cannot be separated from it; the results above list or count them, and the figures mark them.",
		tested, level, pct(float64(level)/float64(tested), 0))
}

// CurveGapGrows reports whether the network's advantage over Ridge (Ridge's
// test MSE minus the network's mean) grows with every step of the learning
// curve.
func (d *reportData) CurveGapGrows() bool {
	for i := 1; i < len(d.Curve); i++ {
		prev := d.Curve[i-1].RidgeTestMSE - mean(d.Curve[i-1].NetTestMSE)
		cur := d.Curve[i].RidgeTestMSE - mean(d.Curve[i].NetTestMSE)
		if d.Curve[i].NTrain <= d.Curve[i-1].NTrain || cur <= prev {
			return false
		}
	}
	return len(d.Curve) > 1
}

// SoftmaxAtLeastSigmoid reports whether softmax outputs did at least as well
// on the test set as sigmoid outputs.
func (d *reportData) SoftmaxAtLeastSigmoid() bool {
	return mean(d.Cls.Softmax.TestAcc) >= mean(d.Cls.Sigmoid.TestAcc)
}

// buildTables makes every table of the report from its results. Each table
// is shown by the template with {{table "name"}} and exported as CSV.
func buildTables(d *reportData) {
	split := report.Table{Name: "split", Caption: fmt.Sprintf("Share of the %d x %d grid's cells in the training, validation and test sets for several grid spacings (the study's Table 1, computed on our grid).", d.Split.Rows, d.Split.Cols),
		Header: []string{"x_sparsity", "training", "validation", "test", "training share", "validation share", "test share"}}
	for _, s := range d.Split.Proportions {
		split.Rows = append(split.Rows, []string{fmt.Sprint(s.XSparsity), fmt.Sprint(s.Train), fmt.Sprint(s.Val), fmt.Sprint(s.Test),
			report.Percent(s.TrainF, 2), report.Percent(s.ValF, 2), report.Percent(s.TestF, 2)})
	}
	d.tables["split"] = split

	lin := report.Table{Name: "linear", Caption: "Linear models on the terrain (heights scaled to [0, 1]): OLS, Ridge at the penalty chosen on validation (λ = 0 is a candidate), and Ridge trained by SGD at the best mini-batch size and learning rate. All on the study's placement of the training grid. Test MSE: mean with its 95 % interval over the tiles of test cells (and the seeds, for SGD); validation MSE of SGD: mean ± sd over seeds of each run's lowest validation error over epochs (optimistic).",
		Header: []string{"model", "λ", "training MSE", "validation MSE", "test MSE [95 % interval]", "test R²"},
		Align:  []string{"left", "right", "right", "right", "right", "right"}}
	for _, f := range []LinearFit{d.OLS, d.Ridge} {
		lambda := "—"
		name := modelName(f.Model) + ", closed form"
		if f.Model == "ridge" {
			lambda = report.FormatSig(f.Lambda, 2)
			name = "Ridge, closed form, λ chosen on validation"
		}
		m := method{Metric: models.SquaredError, Runs: [][]float64{f.TestBlockSE}}
		lin.Rows = append(lin.Rows, []string{name, lambda, report.FormatSig(f.TrainMSE, 3), report.FormatSig(f.ValMSE, 3),
			d.mseCI(m), report.FormatSig(f.TestR2, 3)})
	}
	b := d.SGD.Best
	lin.Rows = append(lin.Rows, []string{fmt.Sprintf("Ridge by SGD (batch %d, γ0 = %g)", b.BatchSize, b.LR), report.FormatSig(b.Runs[0].Lambda, 2), "—",
		pm(b.MeanVal, b.SDVal), d.mseCI(method{Metric: models.SquaredError, Runs: d.SGD.TestBlockSE}), msd(d.SGD.TestR2, 3)})
	d.tables["linear"] = lin

	t2 := report.Table{Name: "terrain-test", Caption: fmt.Sprintf("Test error of the chosen model of each kind on the terrain. Test MSE (heights scaled to [0, 1]) and RMSE in metres (heights were divided by the training heights' range, %s m): mean with its 95 %% interval, resampling %s (a tile is one cell of the training grid, %d x %d cells: neighbouring cells are not independent); R²: mean ± sd over seeds on the study's placement. The last column is the paired comparison with the linear baseline chosen on validation (%s). The study's published numbers are on different terrain (Ireland) and so comparable only in kind.",
		report.FormatSig(d.heightRange(), 4), d.terrainOverN(), d.Split.XSparsity, d.Split.XSparsity, d.linShort()),
		Header: []string{"model", "chosen on validation", "test MSE [95 % interval]", "RMSE, m [95 % interval]", "test R²", "against the linear baseline", "published MSE (Ireland)", "published R² (Ireland)"},
		Align:  []string{"left", "left", "right", "right", "right", "left", "right", "right"}}
	pubRow := func(key string) (string, string) {
		p, ok := d.Pub.Terrain[key]
		if !ok {
			return "—", "—"
		}
		return report.FormatSig(p.TestMSE, 3), report.FormatSig(p.TestR2, 3)
	}
	pm, pr := pubRow("ridge")
	lm := d.linMethod()
	linRow := "Ridge, closed form"
	linCfg := "λ = " + report.FormatSig(d.Ridge.Lambda, 2)
	if d.Ridge.Lambda == 0 {
		linRow, linCfg = "OLS, closed form", "λ = 0 (best on validation)"
	}
	t2.Rows = append(t2.Rows, []string{linRow, linCfg, d.mseCI(lm), d.rmseCI(lm), report.FormatSig(d.Ridge.TestR2, 3), "(the baseline)", pm, pr})
	for _, r := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		pm, pr := pubRow(r.Label)
		name := activationName(r.Label) + " network"
		if len(r.Label) > 6 && r.Label[:6] == "extra." {
			name = "extension: " + r.Label[6:] + " (" + activationName(r.Curves[0].Hidden) + ")"
		}
		m := d.netMethod(r)
		vs := "—"
		if m.ok() && lm.ok() {
			c := d.compare(m, lm)
			vs = fmt.Sprintf("%s (%s %s)", verb(c), signedVal(c.Diff, c.Lo, c.Hi), ciVal(c.Lo, c.Hi))
		}
		t2.Rows = append(t2.Rows, []string{name, fmt.Sprintf("%s, γ0 = %g", r.BestArch, r.BestLR), d.mseCI(m), d.rmseCI(m), msd(r.TestR2, 3), vs, pm, pr})
	}
	d.tables["terrain-test"] = t2

	cls := report.Table{Name: "digits", Caption: fmt.Sprintf("Digits: accuracy of each method on the validation images (mean ± sd over seeds; the cell was chosen on them, so it is optimistic) and on the test images (mean with its 95 %% interval, resampling %s; a method without further splits, on the study's split alone), the epoch of the best validation error (mean ± sd over seeds), and the study's published numbers.", d.DigitsOver()),
		Header: []string{"method", "configuration", "validation accuracy", "test accuracy [95 % interval]", "epoch of best validation error", "published"},
		Align:  []string{"left", "left", "right", "right", "right", "left"}}
	pub := d.Pub.Digits
	for _, m := range []struct {
		name string
		b    ClsBest
		pub  string
	}{
		{"best network", d.Cls.Best, fmt.Sprintf("%s test (%s %s, published)", pct(pub.BestNetwork.TestAccuracy, 1), pub.BestNetwork.Architecture, pub.BestNetwork.Hidden)},
		{"best with softmax output", d.Cls.Softmax, "did not train (published)"},
		{"best with sigmoid output", d.Cls.Sigmoid, fmt.Sprintf("%s validation (published)", pct(pub.NetworkValAccuracy, 0))},
		{"the study's best architecture", d.Cls.Study, fmt.Sprintf("%s validation, %s test (published)", pct(pub.BestNetwork.ValAccuracy, 1), pct(pub.BestNetwork.TestAccuracy, 1))},
	} {
		if len(m.b.Runs) == 0 {
			continue
		}
		var be []float64
		for _, r := range m.b.Runs {
			be = append(be, float64(r.BestEpoch))
		}
		cls.Rows = append(cls.Rows, []string{m.name, fmt.Sprintf("%s, %s hidden, %s output, γ0 = %g", m.b.Arch, activationName(m.b.Hidden), m.b.Output, m.b.LR),
			pctsd(m.b.ValAcc, 1), d.accCI(d.cellMethod("", m.b)), msd(be, 2), m.pub})
	}
	cls.Rows = append(cls.Rows,
		[]string{"logistic regression, SGD", "softmax, cross-entropy", pctsd(d.LogSGD.ValAcc, 1), d.accCI(d.logSGDMethod("")), msd(d.LogSGD.BestEpoch, 2), fmt.Sprintf("about %s validation (published)", pct(pub.LogisticValAccuracy, 0))},
		[]string{"logistic regression, L-BFGS", fmt.Sprintf("%d iterations", d.LBFGS.Result.Iterations), pct(d.LBFGS.ValAcc, 1), d.accCI(d.lbfgsMethod()), "—", fmt.Sprintf("%s test, scikit-learn (published)", pct(pub.SklearnLogisticTestAccuracy, 1))},
		[]string{"Keras-style baseline", fmt.Sprintf("%s, Adam, %d epochs", d.Keras.Runs[0].Arch, d.Keras.Runs[0].EpochsRun), pctsd(d.Keras.ValAcc, 1), d.accCI(d.kerasMethod("")), msd(d.Keras.BestEpoch, 2),
			fmt.Sprintf("%s test, mean of %d runs (published)", pct(pub.Keras.TestAccuracy, 1), pub.Keras.Runs)},
	)
	for _, k := range d.KerasRaw {
		cls.Rows = append(cls.Rows, []string{"Keras-style baseline, unscaled pixels (0 to 16)", fmt.Sprintf("%s, Adam, %d epochs", k.Runs[0].Arch, k.Runs[0].EpochsRun), pctsd(k.ValAcc, 1), d.accCI(d.kerasRawMethod("", k)), msd(k.BestEpoch, 2), "the study's inputs"})
	}
	d.tables["digits"] = cls

	conf := report.Table{Name: "confusion", Caption: fmt.Sprintf("Confusion matrix of the best network (%s, %s hidden, %s output, seed %d) on the %d test images: rows are the true class, columns the predicted class.",
		d.Cls.Best.Arch, activationName(d.Cls.Best.Hidden), d.Cls.Best.Output, d.Cls.Best.Runs[0].Seed, len(d.DSplit.Test)),
		Header: []string{"true \\ predicted"}}
	for k := 0; k < 10; k++ {
		conf.Header = append(conf.Header, fmt.Sprint(k))
	}
	for k, row := range d.Cls.Best.Runs[0].Confusion {
		r := []string{fmt.Sprint(k)}
		for _, v := range row {
			r = append(r, fmt.Sprint(v))
		}
		conf.Rows = append(conf.Rows, r)
	}
	d.tables["confusion"] = conf

	if len(d.Curve) > 0 {
		cur := report.Table{Name: "learning-curve", Caption: "Terrain learning curve: test MSE on the cells that are test cells at every size (heights scaled as in the study's split) of the linear baseline (closed form, λ chosen on validation, 0 included) and of the study's network kind with the lowest validation error, retrained at each training-set size for " + stepsPhrase(d.Curve) + ", and of the same network with hidden layers twice as wide, and with one more hidden layer, at the smallest and largest size (mean ± sd over seeds), with the epochs that makes, and the epoch of the best validation error (mean ± sd over seeds); the text gives how much the last quarter of each budget lowered the best validation error.",
			Header: []string{"x_sparsity", "training points", "linear test MSE (λ)", "network", "steps (epochs)", "best epoch", "network test MSE", d.capacityHeader(CapacityWider), d.capacityHeader(CapacityDeeper)},
			Align:  []string{"right", "right", "right", "left", "right", "right", "right", "right", "right"}}
		for _, p := range d.Curve {
			var be []float64
			for _, e := range p.NetBestEpoch {
				be = append(be, float64(e))
			}
			more := map[string]string{CapacityWider: "—", CapacityDeeper: "—"}
			for _, c := range d.CurveCap {
				if c.XSparsity == p.XSparsity && len(c.NetTestMSE) > 0 {
					more[c.Capacity] = msd(c.NetTestMSE, 3)
					if c.NetArch != d.capacityArch(c.Capacity) {
						more[c.Capacity] += " (" + c.NetArch + ")"
					}
				}
			}
			cur.Rows = append(cur.Rows, []string{fmt.Sprint(p.XSparsity), fmt.Sprint(p.NTrain), fmt.Sprintf("%s (λ = %s)", report.FormatSig(p.RidgeTestMSE, 3), report.FormatSig(p.RidgeLambda, 2)),
				fmt.Sprintf("%s %s", activationName(p.NetLabel), p.NetArch), fmt.Sprintf("%s (%d)", numfmt.Thousands(p.Steps), p.Epochs), msd(be, 2), msd(p.NetTestMSE, 3), more[CapacityWider], more[CapacityDeeper]})
		}
		d.tables["learning-curve"] = cur
	}

	if len(d.MNIST) > 0 {
		mn := report.Table{Name: "mnist", Caption: "Extension: the networks on the full MNIST set (50,000 training, 10,000 validation and 10,000 test images of 28x28), softmax output, mean ± sd over seeds.",
			Header: []string{"architecture", "hidden", "epochs", "validation accuracy", "test accuracy"},
			Align:  []string{"left", "left", "right", "right", "right"}}
		for _, m := range d.MNIST {
			r := m.Runs[0]
			mn.Rows = append(mn.Rows, []string{r.Arch, activationName(r.Hidden), fmt.Sprint(r.EpochsRun), pctsd(m.ValAcc, 2), pctsd(m.TestAcc, 2)})
		}
		d.tables["mnist"] = mn
	}

	files := report.Table{Name: "data-files", Caption: "The input files and their sha256.", Header: []string{"file", "what", "sha256"}, Align: []string{"left", "left", "left"}}
	for _, f := range d.Data {
		files.Rows = append(files.Rows, []string{report.Code(f.File), f.What, "`" + f.SHA256 + "`"})
	}
	d.tables["data-files"] = files
}

func modelName(m string) string {
	switch m {
	case "ols":
		return "OLS"
	case "ridge":
		return "Ridge"
	}
	return m
}

// capacityArch is the architecture of the learning curve's first point of
// the given capacity ("" when there is none): the column's header names it.
func (d *reportData) capacityArch(capacity string) string {
	for _, c := range d.CurveCap {
		if c.Capacity == capacity {
			return c.NetArch
		}
	}
	return ""
}

// capacityHeader heads the learning-curve table's column of a capacity:
// "wider network (2x64x64x1) test MSE".
func (d *reportData) capacityHeader(capacity string) string {
	if a := d.capacityArch(capacity); a != "" {
		return fmt.Sprintf("%s network (%s) test MSE", capacity, a)
	}
	return capacity + " network test MSE"
}
