package stages

import (
	"fmt"
	"strings"

	"github.com/repro-dev/repro/report"
)

// buildSummaryTables adds the tables of the abstract and of the Methods
// section: the key results beside the study's published numbers, and the
// training settings of every experiment.
func buildSummaryTables(d *reportData) {
	d.tables["key-results"] = keyResultsTable(d)
	d.tables["settings"] = settingsTable(d.P.Settings)
}

func keyResultsTable(d *reportData) report.Table {
	t := report.Table{Name: "key-results",
		Caption: "Key results: test scores on held-out data, mean ± sd over seeds where a method has seeds, beside the study's published numbers (marked *published*; its terrain was different, so terrain numbers compare only in kind).",
		Header:  []string{"data", "method", "chosen configuration", "test MSE or accuracy", "test R²", "published"},
		Align:   []string{"left", "left", "left", "right", "right", "left"}}
	pubT := func(key string) string {
		p, ok := d.Pub.Terrain[key]
		if !ok {
			return "—"
		}
		return fmt.Sprintf("MSE %s, R² %s (*published*, Ireland)", report.FormatSig(p.TestMSE, 3), report.FormatSig(p.TestR2, 3))
	}
	t.Rows = append(t.Rows, []string{"terrain", "Ridge, closed form", "λ = " + report.FormatSig(d.Ridge.Lambda, 2), sig(d.Ridge.TestMSE), sig(d.Ridge.TestR2), pubT("ridge")})
	t.Rows = append(t.Rows, []string{"terrain", "Ridge by SGD", fmt.Sprintf("batch %d, γ0 = %s, λ = %s", d.SGD.Best.BatchSize, num(d.SGD.Best.LR), report.FormatSig(d.SGD.Closed.Lambda, 2)),
		msd(d.SGD.TestMSE, 3), msd(d.SGD.TestR2, 3), "—"})
	for _, r := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		name := activationName(r.Label) + " network"
		if strings.HasPrefix(r.Label, "extra.") {
			name = "extension " + strings.TrimPrefix(r.Label, "extra.")
		}
		t.Rows = append(t.Rows, []string{"terrain", name, fmt.Sprintf("%s, γ0 = %s", r.BestArch, num(r.BestLR)), msd(r.TestMSE, 3), msd(r.TestR2, 3), pubT(r.Label)})
	}
	pub := d.Pub.Digits
	b := d.Cls.Best
	t.Rows = append(t.Rows, []string{"digits", "best network", fmt.Sprintf("%s, %s hidden, %s output, γ0 = %s", b.Arch, activationName(b.Hidden), b.Output, num(b.LR)),
		pctsd(b.TestAcc, 1), "—", fmt.Sprintf("%s (*published*, %s %s)", pct(pub.BestNetwork.TestAccuracy, 1), pub.BestNetwork.Architecture, pub.BestNetwork.Hidden)})
	t.Rows = append(t.Rows, []string{"digits", "logistic regression, SGD", "softmax, cross-entropy", pctsd(d.LogSGD.TestAcc, 1), "—", fmt.Sprintf("about %s validation (*published*)", pct(pub.LogisticValAccuracy, 0))})
	t.Rows = append(t.Rows, []string{"digits", "logistic regression, L-BFGS", fmt.Sprintf("%d iterations", d.LBFGS.Result.Iterations), pct(d.LBFGS.TestAcc, 1), "—", fmt.Sprintf("%s, scikit-learn (*published*)", pct(pub.SklearnLogisticTestAccuracy, 1))})
	if len(d.Keras.Runs) > 0 {
		k := d.Keras.Runs[0]
		t.Rows = append(t.Rows, []string{"digits", "Keras-style baseline", fmt.Sprintf("%s, Adam, %d epochs", k.Arch, k.Epochs), pctsd(d.Keras.TestAcc, 1), "—",
			fmt.Sprintf("%s, mean of %d runs (*published*)", pct(pub.Keras.TestAccuracy, 1), pub.Keras.Runs)})
	}
	for _, l := range d.KerasLong {
		k := l.Runs[0]
		t.Rows = append(t.Rows, []string{"digits", "Keras-style, to convergence", fmt.Sprintf("%s, Adam, up to %d epochs", k.Arch, k.Epochs), pctsd(l.TestAcc, 1), "—", "—"})
	}
	return t
}

// Abstract is the report's opening paragraph, filled from the results.
func (d *reportData) Abstract() string {
	var s strings.Builder
	best := d.BestReg()
	bm, bsd := meanSD(best.TestMSE)
	fmt.Fprintf(&s, "We regenerate, check and extend a student study of stochastic gradient descent, linear regression, a feed-forward neural network written from scratch and logistic regression, on real terrain and on 8 by 8 images of digits. Every grid point runs with %d seeds, and every result of a method with random starts is a mean ± sd over them. ", d.P.Seeds)
	fmt.Fprintf(&s, "On the terrain (%d training points), the best network, %s %s, reaches a test MSE of %s (R² %s), ",
		len(d.Split.Train), activationName(best.Label), best.BestArch, msdOf(bm, bsd), msd(best.TestR2, 3))
	if bm < d.Ridge.TestMSE {
		fmt.Fprintf(&s, "%s below closed-form Ridge's %s; ", pctAbs(relChange(d.Ridge.TestMSE, bm)), sig(d.Ridge.TestMSE))
	} else {
		fmt.Fprintf(&s, "no better than closed-form Ridge's %s; ", sig(d.Ridge.TestMSE))
	}
	if losers := d.Losers(); len(losers) > 0 {
		var names []string
		for _, l := range losers {
			names = append(names, activationName(l.Label))
		}
		fmt.Fprintf(&s, "the %s network%s, though, lose%s to Ridge. ", joinAnd(names), plural(len(names)), verbS(len(names)))
	} else {
		s.WriteString("every network kind does at least as well as Ridge. ")
	}
	if d.SGDReachesClosed() {
		s.WriteString("SGD on Ridge reaches the closed-form solution at the same penalty. ")
	} else {
		s.WriteString("SGD on Ridge stays above the closed-form solution at the same penalty. ")
	}
	fmt.Fprintf(&s, "On the digits, the best network reaches %s test accuracy (the study published %s), logistic regression %s by SGD and %s by L-BFGS, and a Keras-style baseline %s in the study's %d epochs",
		pctsd(d.Cls.Best.TestAcc, 1), pct(d.Pub.Digits.BestNetwork.TestAccuracy, 1), pctsd(d.LogSGD.TestAcc, 1), pct(d.LBFGS.TestAcc, 1), pctsd(d.Keras.TestAcc, 1), d.kerasEpochs())
	if len(d.KerasLong) > 0 {
		fmt.Fprintf(&s, " and %s trained to convergence", pctsd(d.KerasLong[0].TestAcc, 1))
	}
	fmt.Fprintf(&s, ". Softmax outputs, which the study could not train, train: %s. ", pctsd(d.Cls.Softmax.TestAcc, 1))
	if a := d.CurveAnswer(); a != "" {
		switch {
		case strings.Contains(a, "limited by data"):
			s.WriteString("A learning curve at a fixed number of optimisation steps shows the terrain networks are limited by data rather than capacity. ")
		case strings.Contains(a, "limited by capacity"):
			s.WriteString("A learning curve at a fixed number of optimisation steps shows the terrain networks are limited by capacity rather than data. ")
		default:
			s.WriteString("A learning curve at a fixed number of optimisation steps: " + d.curveVerdict() + ". ")
		}
	}
	if n := len(d.FlaggedEdges()); n > 0 {
		fmt.Fprintf(&s, "After an automatic refinement that extends a grid by one step where its best cell is on an edge, %d tuned result%s still lie%s on the edge of %s grid or at the end of %s epoch budget; each is called out, with its reason, where it is reported.", n, plural(n), verbS(n), theirIts(n), theirIts(n))
	} else {
		s.WriteString("Every tuned optimum lies inside its grid, after an automatic refinement that extends a grid by one step where its best cell is on an edge, and before the end of its epoch budget.")
	}
	return s.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// verbS is the verb ending for a subject of n things ("lies", "lie").
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

func theirIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}
