package stages

import (
	"fmt"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
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
		Caption: "Key results: test scores on held-out data, each the mean with its 95 % interval over seeds and data (on the terrain the tiles of test cells and, where there are several, the placements of the training grid; on the digits the test images and, where there are several, the splits of the images); R² is mean ± sd over seeds on the study's placement. The last column compares each method with the best of its data set by a paired test (bootstrap on the terrain; on the digits McNemar's test and the bootstrap, which must agree): **best** is the lowest mean error or highest mean accuracy, *level* a method no test separates from it. The study's published numbers are marked *published*; its terrain was different, so terrain numbers compare only in kind.",
		Header:  []string{"data", "method", "chosen configuration", "test MSE or accuracy [95 % interval]", "test R²", "against the best", "published"},
		Align:   []string{"left", "left", "left", "right", "right", "left", "left"}}
	pubT := func(key string) string {
		p, ok := d.Pub.Terrain[key]
		if !ok {
			return "—"
		}
		return fmt.Sprintf("MSE %s, R² %s (*published*, Ireland)", report.FormatSig(p.TestMSE, 3), report.FormatSig(p.TestR2, 3))
	}
	// The terrain methods, ranked together.
	type row struct {
		cells []string
		m     method
	}
	var terr []row
	linName := "Ridge, closed form"
	linCfg := "λ = " + report.FormatSig(d.Ridge.Lambda, 2)
	if d.Ridge.Lambda == 0 {
		linName, linCfg = "OLS, closed form", "λ = 0 (best on validation)"
	}
	terr = append(terr, row{[]string{"terrain", linName, linCfg, "", sig(d.Ridge.TestR2), "", pubT("ridge")}, d.linMethod()})
	terr = append(terr, row{[]string{"terrain", "Ridge by SGD", fmt.Sprintf("batch %d, γ0 = %s, λ = %s", d.SGD.Best.BatchSize, num(d.SGD.Best.LR), report.FormatSig(d.SGD.Closed.Lambda, 2)),
		"", msd(d.SGD.TestR2, 3), "", "—"}, d.sgdMethod()})
	for _, r := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		name := activationName(r.Label) + " network"
		if strings.HasPrefix(r.Label, "extra.") {
			name = "extension " + strings.TrimPrefix(r.Label, "extra.")
		}
		terr = append(terr, row{[]string{"terrain", name, fmt.Sprintf("%s, γ0 = %s", r.BestArch, num(r.BestLR)), "", msd(r.TestR2, 3), "", pubT(r.Label)}, d.netMethod(r)})
	}
	pub := d.Pub.Digits
	b := d.Cls.Best
	dig := []row{{[]string{"digits", "best network", fmt.Sprintf("%s, %s hidden, %s output, γ0 = %s", b.Arch, activationName(b.Hidden), b.Output, num(b.LR)),
		"", "—", "", fmt.Sprintf("%s (*published*, %s %s)", pct(pub.BestNetwork.TestAccuracy, 1), pub.BestNetwork.Architecture, pub.BestNetwork.Hidden)}, d.bestNetMethod("best network")}}
	dig = append(dig, row{[]string{"digits", "logistic regression, SGD", "softmax, cross-entropy", "", "—", "", fmt.Sprintf("about %s validation (*published*)", pct(pub.LogisticValAccuracy, 0))}, d.logSGDMethod("logistic SGD")})
	dig = append(dig, row{[]string{"digits", "logistic regression, L-BFGS", fmt.Sprintf("%d iterations", d.LBFGS.Result.Iterations), "", "—", "", fmt.Sprintf("%s, scikit-learn (*published*)", pct(pub.SklearnLogisticTestAccuracy, 1))}, d.lbfgsMethod()})
	if len(d.Keras.Runs) > 0 {
		k := d.Keras.Runs[0]
		dig = append(dig, row{[]string{"digits", "Keras-style baseline", fmt.Sprintf("%s, Adam, %d epochs", k.Arch, k.Epochs), "", "—", "",
			fmt.Sprintf("%s, mean of %d runs (*published*)", pct(pub.Keras.TestAccuracy, 1), pub.Keras.Runs)}, d.kerasMethod("Keras-style")})
	}
	for _, l := range d.KerasLong {
		k := l.Runs[0]
		dig = append(dig, row{[]string{"digits", "Keras-style, to convergence", fmt.Sprintf("%s, Adam, up to %d epochs", k.Arch, k.Epochs), "", "—", "", "—"}, d.kerasLongMethod("Keras-style long", l)})
	}
	for _, group := range [][]row{terr, dig} {
		var ms []method
		var idx []int
		for i, r := range group {
			if r.m.ok() {
				ms, idx = append(ms, r.m), append(idx, i)
			}
		}
		order, tied := d.ranked(ms)
		for k, i := range idx {
			r := group[i]
			if r.m.Metric == models.Correct {
				r.cells[3] = d.accCI(r.m)
			} else {
				r.cells[3] = d.mseCI(r.m)
			}
			switch {
			case len(order) > 0 && order[0] == k:
				r.cells[5] = "**best**"
			case tied[k]:
				r.cells[5] = "*level*"
			default:
				r.cells[5] = "worse"
			}
		}
		for _, r := range group {
			if r.cells[3] == "" {
				r.cells[3], r.cells[5] = "—", "—"
			}
			t.Rows = append(t.Rows, r.cells)
		}
	}
	return t
}

// Abstract is the report's opening paragraph, filled from the results.
func (d *reportData) Abstract() string {
	var s strings.Builder
	fmt.Fprintf(&s, "We regenerate, check and extend a student study of stochastic gradient descent, linear regression, a feed-forward neural network written from scratch and logistic regression, on real terrain and on 8 by 8 images of digits. Every grid point runs with %d seeds. Test scores come with 95 %% intervals that resample the seeds and the data together (%s; %s), and every comparison of two methods is a paired test on the same test units and seeds. ", d.P.Seeds, d.terrainData(), d.digitsData())
	chosen := d.BestReg()
	cm := d.netMethod(chosen)
	if cm.ok() {
		fmt.Fprintf(&s, "On the terrain (%d training points), the network chosen on validation, the %s (%s), reaches a test MSE of %s (R² %s on the study's placement) and %s the linear baseline chosen on validation, %s (test MSE %s). ",
			len(d.Split.Train), kindName(chosen.Label), chosen.BestArch, d.mseCI(cm), msd(chosen.TestR2, 3), verb(d.compare(cm, d.linMethod())), d.linName(), d.mseCI(d.linMethod()))
	}
	if ms, _ := d.netMethods(); len(ms) > 1 {
		order, tied := d.ranked(ms)
		names := bestNames(ms, order, tied)
		if len(names) > 1 {
			fmt.Fprintf(&s, "On the test cells, %s are level at the top (no paired test separates them). ", joinAnd(names))
		} else {
			fmt.Fprintf(&s, "On the test cells, %s has the lowest error, ahead of every other network kind by a paired test. ", names[0])
		}
	}
	if losers := d.Losers(); len(losers) > 0 {
		var names []string
		for _, l := range losers {
			names = append(names, activationName(l.Label))
		}
		fmt.Fprintf(&s, "The %s network%s, though, lose%s to the linear baseline. ", joinAnd(names), numfmt.Plural(len(names), "", "s"), verbS(len(names)))
	}
	if _, _, ok := d.sgdObjective(); ok {
		if d.SGDReachesClosed() {
			s.WriteString("SGD on Ridge reaches the closed-form minimiser at the same penalty (its training objective within 1 %). ")
		} else {
			s.WriteString("SGD on Ridge does not reach the closed-form minimiser at the same penalty within its epochs (its training objective stays more than 1 % above it). ")
		}
	}
	best := d.bestNetMethod("")
	pub := d.Pub.Digits.BestNetwork.TestAccuracy
	fmt.Fprintf(&s, "On the digits, the best network on validation reaches %s test accuracy", d.accCI(best))
	if best.ok() {
		_, lo, hi := d.interval(best)
		inside := "inside"
		if pub < lo || pub > hi {
			inside = "outside"
		}
		fmt.Fprintf(&s, " (the study published %s, %s our interval)", pct(pub, 1), inside)
	}
	fmt.Fprintf(&s, ", logistic regression %s by SGD and %s by L-BFGS, and a Keras-style baseline %s in the study's %d epochs",
		d.accCI(d.logSGDMethod("")), d.accCI(d.lbfgsMethod()), d.accCI(d.kerasMethod("")), d.kerasEpochs())
	if len(d.KerasLong) > 0 {
		fmt.Fprintf(&s, " and %s trained to convergence", d.accCI(d.kerasLongMethod("", d.KerasLong[0])))
	}
	s.WriteString(". ")
	if ms := d.digitsMethods(); len(ms) > 1 {
		order, tied := d.ranked(ms)
		names := bestNames(ms, order, tied)
		if len(names) > 1 {
			fmt.Fprintf(&s, "At the top on the test images, %s are level by paired tests. ", joinAnd(names))
		} else {
			fmt.Fprintf(&s, "On the test images, %s is ahead of every other method by paired tests. ", names[0])
		}
	}
	fmt.Fprintf(&s, "Softmax outputs, which the study could not train, train: %s. ", d.accCI(d.cellMethod("", d.Cls.Softmax)))
	if a := d.CurveAnswer(); a != "" {
		s.WriteString("A learning curve (" + stepsPhrase(d.Curve) + "): " + d.curveVerdict() + ". ")
	}
	if n := len(d.FlaggedEdges()); n > 0 {
		fmt.Fprintf(&s, "After an automatic refinement that extends a grid by one step where its best cell is on an edge, %d tuned result%s still lie%s on the edge of %s grid or at the end of %s epoch budget; each is called out, with its reason, where it is reported.", n, numfmt.Plural(n, "", "s"), verbS(n), theirIts(n), theirIts(n))
	} else {
		s.WriteString("Every tuned optimum lies inside its grid, after an automatic refinement that extends a grid by one step where its best cell is on an edge, and before the end of its epoch budget.")
	}
	return s.String()
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
