package stages

import (
	"strings"
	"testing"
)

// Every sentence of the report that states a comparison is a function of
// the results; these tests check that each one changes when its numbers do.

func claimsData() *reportData {
	d := &reportData{P: ReportParams{Seeds: 3}}
	d.Ridge = LinearFit{Model: "ridge", Lambda: 1e-8, ValMSE: 0.0177, TestMSE: 0.0180, TestR2: 0.8}
	d.SGD = LinSGDSummary{Best: LinSGDCell{BatchSize: 10, LR: 0.1, MeanVal: 0.02621, SDVal: 0.00005, Runs: []LinSGDRun{{Lambda: 0.01}}},
		Closed: LinearFit{Lambda: 0.01, ValMSE: 0.02626}}
	d.Reg = []RegTune{
		{Label: "relu", BestArch: "2x32x32x1", BestLR: 0.3, BestVal: 0.013, TestMSE: []float64{0.012, 0.0122, 0.0121}},
		{Label: "sigmoid", BestArch: "2x16x16x1", BestLR: 1, BestVal: 0.018, TestMSE: []float64{0.020, 0.0201, 0.0199}},
	}
	d.Cls.Softmax = ClsBest{TestAcc: []float64{0.97, 0.971, 0.969}}
	d.Cls.Sigmoid = ClsBest{TestAcc: []float64{0.96, 0.961, 0.959}}
	d.Curve = []CurvePoint{
		{XSparsity: 20, NTrain: 400, RidgeTestMSE: 0.018, NetLabel: "relu", NetTestMSE: []float64{0.012, 0.012}, Steps: 40000},
		{XSparsity: 5, NTrain: 6400, RidgeTestMSE: 0.015, NetLabel: "relu", NetTestMSE: []float64{0.006, 0.006}, Steps: 40000},
	}
	h := Heat{Archs: []string{"2x16x16x1", "2x32x32x1"}, LRs: []float64{0.3}, Mean: [][]float64{{0.0131}, {0.013}}, SD: [][]float64{{1e-4}, {1e-4}},
		Diverged: boolGrid(2, 1), Untried: boolGrid(2, 1)}
	d.Reg[0].Heat = h
	return d
}

func changes(t *testing.T, name string, before, after string) {
	t.Helper()
	if before == after {
		t.Errorf("%s: the sentence did not change with the numbers:\n%s", name, before)
	}
}

func TestSGDvsClosedFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.SGDvsClosed()
	if !strings.Contains(a, "reaches the minimiser") || !strings.Contains(a, "larger penalty") {
		t.Errorf("SGD at the closed form's level: got %q", a)
	}
	d.SGD.Best.MeanVal = 0.03
	b := d.SGDvsClosed()
	if !strings.Contains(b, "stays") || !strings.Contains(b, "above it") {
		t.Errorf("SGD above the closed form: got %q", b)
	}
	changes(t, "SGDvsClosed", a, b)
	d.Ridge.ValMSE = 0.04
	changes(t, "SGDvsClosed (chosen λ worse)", b, d.SGDvsClosed())
}

func TestNetVsRidgeFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.NetVsRidge(d.Reg[0])
	if !strings.Contains(a, "beats") {
		t.Errorf("got %q, want beats", a)
	}
	b := d.NetVsRidge(d.Reg[1])
	if !strings.Contains(b, "loses") {
		t.Errorf("got %q, want loses", b)
	}
	d.Ridge.TestMSE = 0.01215
	c := d.NetVsRidge(d.Reg[0])
	if !strings.Contains(c, "level") {
		t.Errorf("got %q, want level", c)
	}
	d.Ridge.TestMSE = 0.01205
	if e := d.NetVsRidge(d.Reg[0]); !strings.Contains(e, "narrowly") {
		t.Errorf("got %q, want a narrow loss", e)
	}
	if got := len(claimsData().Losers()); got != 1 {
		t.Errorf("Losers: %d, want 1 (sigmoid)", got)
	}
}

func TestSoftmaxVsSigmoidFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.SoftmaxVsSigmoid()
	if !strings.Contains(a, "softmax is ahead") {
		t.Errorf("got %q", a)
	}
	d.Cls.Sigmoid.TestAcc = []float64{0.98, 0.981, 0.979}
	b := d.SoftmaxVsSigmoid()
	if !strings.Contains(b, "sigmoid outputs are ahead") {
		t.Errorf("got %q", b)
	}
	d.Cls.Sigmoid.TestAcc = d.Cls.Softmax.TestAcc
	if c := d.SoftmaxVsSigmoid(); !strings.Contains(c, "level") {
		t.Errorf("got %q", c)
	}
}

func TestCurveAnswerFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.CurveAnswer()
	if !strings.Contains(a, "limited by data") || !strings.Contains(a, "same 40,000 optimisation steps") {
		t.Errorf("data-limited: got %q", a)
	}
	// More data no longer helps, more units do.
	d.Curve[1].NetTestMSE = []float64{0.0119, 0.0119}
	d.Reg[0].Heat.Mean = [][]float64{{0.02}, {0.013}}
	b := d.CurveAnswer()
	if !strings.Contains(b, "limited by capacity") {
		t.Errorf("capacity-limited: got %q", b)
	}
	d.Reg[0].Heat.Mean = [][]float64{{0.0131}, {0.013}}
	if c := d.CurveAnswer(); !strings.Contains(strings.ToLower(c), "neither more data nor more units") {
		t.Errorf("neither: got %q", c)
	}
}

func TestEdgesNoteAndWarnings(t *testing.T) {
	a := axisEdge("learning rate", []string{"0.1", "0.3", "1"}, 2)
	e := Edges{What: "ReLU terrain network", Axes: []AxisEdge{a}}
	if !e.Flagged() || len(e.Warnings()) != 1 || !strings.Contains(e.Note(), "largest tried") {
		t.Errorf("edge: flagged %v, warnings %q, note %q", e.Flagged(), e.Warnings(), e.Note())
	}
	e.Axes[0] = axisEdge("learning rate", []string{"0.1", "0.3", "1"}, 1)
	if e.Flagged() || len(e.Warnings()) != 0 || e.Note() != "" {
		t.Errorf("interior: flagged %v, warnings %q, note %q", e.Flagged(), e.Warnings(), e.Note())
	}
	b := budgetOf(400, []int{396, 380, 390})
	e.Budget = &b
	if !e.Flagged() || !strings.Contains(e.Note(), "last tenth") {
		t.Errorf("late budget: note %q", e.Note())
	}
	b = budgetOf(400, []int{200, 300, 390})
	e.Budget = &b
	if b.LateSeeds != 1 || e.Flagged() {
		t.Errorf("median 300 of 400 is not late: %+v", b)
	}
}

// More sentences, each checked to follow its numbers.
func TestMoreSentencesFollowNumbers(t *testing.T) {
	base := func() *reportData {
		d := claimsData()
		d.P.Settings = []Experiment{{Key: "baseline", Batch: 32}}
		d.Pub.Digits.Keras.TestAccuracy, d.Pub.Digits.Keras.TrainAccuracy = 0.98, 0.999
		d.Pub.Digits.StudyEpochs = 3000
		d.Pub.Digits.BestNetworkLRs = []float64{0.003, 0.005}
		d.DSplit.Train = make([]int, 1000)
		kb := budgetOf(20, []int{20, 20, 19})
		d.Keras = SeedsSummary{TestAcc: []float64{0.95, 0.951, 0.949}, Runs: []NetRun{{Epochs: 20, TrainErr: []float64{0.5, 0.02}}, {Epochs: 20, TrainErr: []float64{0.5, 0.02}}}, Edges: Edges{Budget: &kb}}
		d.KerasLong = []SeedsSummary{{TestAcc: []float64{0.972, 0.97, 0.974}, BestEpoch: []float64{90, 100}, Runs: []NetRun{{Epochs: 300}}}}
		d.Betas = []BetaRuns{
			{Model: "ols", Lambda: 0.01, Reference: []float64{1, 2}, Betas: [][]float64{{1.1, 2.1}, {0.9, 1.9}, {1, 2}}},
			{Model: "ridge", Lambda: 0.01, Reference: []float64{1, 2}, Betas: [][]float64{{1, 2}, {1, 2.01}, {1, 2}}},
		}
		d.OLS.Beta = []float64{50, -80}
		run := func(e int, w0, w1 float64) NetRun { return NetRun{BestEpoch: e, OutWSD: []float64{w0, w1}} }
		d.Cls.Best = ClsBest{Hidden: "relu", Output: "softmax", Arch: "64x64x10", LR: 0.3, Runs: []NetRun{run(20, 0.2, 1), run(22, 0.2, 1)}, TestAcc: []float64{0.975, 0.976}}
		d.Cls.Softmax = d.Cls.Best
		d.Cls.Sigmoid = ClsBest{Runs: []NetRun{run(40, 0.1, 0.5)}, TestAcc: []float64{0.97}}
		h := Heat{Archs: []string{"64x64x10"}, LRs: []float64{0.1, 0.3}, Mean: [][]float64{{0.03, 0.02}}, SD: [][]float64{{0, 0}},
			Diverged: boolGrid(1, 2), Untried: boolGrid(1, 2), BestEpoch: [][]float64{{60, 21}}}
		d.Cls.Panels = []ClsPanel{{Hidden: "relu", Output: "softmax", Heat: h}}
		return d
	}
	for _, c := range []struct {
		name   string
		say    func(*reportData) string
		change func(*reportData)
		before string
	}{
		{"BetasSentence", (*reportData).BetasSentence, func(d *reportData) { d.OLS.Beta, d.Betas[0].Reference = []float64{1, 2}, []float64{5, 5} }, "closer to Ridge"},
		{"KerasExplained", (*reportData).KerasExplained, func(d *reportData) { d.KerasLong[0].TestAcc = []float64{0.95, 0.951, 0.949} }, "most of the"},
		{"EpochsAttribution", (*reportData).EpochsAttribution, func(d *reportData) { d.Cls.Panels[0].Heat.BestEpoch = [][]float64{{15, 21}} }, "larger rates get there sooner"},
		{"OutputLayerSentence", (*reportData).OutputLayerSentence, func(d *reportData) { d.Cls.Softmax.Runs[0].OutWSD = []float64{0.2, 500} }, "both stay bounded"},
		{"Abstract", (*reportData).Abstract, func(d *reportData) { d.Ridge.TestMSE = 0.01 }, "below closed-form Ridge"},
		{"PredictionsSentence", (*reportData).PredictionsSentence, func(d *reportData) { d.Ridge.TestR2 = 0.99 }, "they are ReLU network"},
	} {
		d := base()
		d.Reg[0].TestR2 = []float64{0.9}
		d.Reg[1].TestR2 = []float64{0.85}
		a := c.say(d)
		if !strings.Contains(a, c.before) {
			t.Errorf("%s: got %q, want it to say %q", c.name, a, c.before)
		}
		c.change(d)
		b := c.say(d)
		if strings.Contains(b, c.before) || a == b {
			t.Errorf("%s: after the change still says %q:\n%s", c.name, c.before, b)
		}
	}
}
