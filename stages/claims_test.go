package stages

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/repro-dev/repro/models"
)

// Every sentence of the report that states a comparison is a function of
// the results; these tests check that each one changes when its numbers do.

// tileRuns are per-seed squared errors on the 100 tiles of claimsSplit,
// around level (the same tile pattern for every method, as on real
// terrain, plus a little noise per method and seed).
func tileRuns(seed uint64, seeds int, level float64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float64, seeds)
	for s := range out {
		out[s] = make([]float64, 100)
		for i := range out[s] {
			pattern := 1 + 0.8*math.Sin(float64(i))
			out[s][i] = level * pattern * (1 + 0.05*rng.NormFloat64())
		}
	}
	return out
}

func netRuns(blocks [][]float64) []NetRun {
	var out []NetRun
	for _, b := range blocks {
		var m float64
		for _, v := range b {
			m += v / float64(len(b))
		}
		out = append(out, NetRun{TestBlockSE: b, TestMSE: m})
	}
	return out
}

func hitRunsOf(seed uint64, seeds, n int, acc float64) []NetRun {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []NetRun
	for range seeds {
		r := NetRun{TestHit: make([]byte, n)}
		k := 0
		for i := range r.TestHit {
			if rng.Float64() < acc {
				r.TestHit[i] = 1
				k++
			}
		}
		r.TestAcc = float64(k) / float64(n)
		out = append(out, r)
	}
	return out
}

func testAccs(runs []NetRun) []float64 {
	var out []float64
	for _, r := range runs {
		out = append(out, r.TestAcc)
	}
	return out
}

func claimsData() *reportData {
	d := &reportData{P: ReportParams{Seeds: 3, Bootstrap: BootstrapParams{Resamples: 500, Seed: 1}}}
	split, err := splitGrid(40, 40, 4) // 10 x 10 tiles of test cells
	if err != nil {
		panic(err)
	}
	d.Split = split
	d.DSplit.Test = make([]int, 500)
	d.Ridge = LinearFit{Model: "ridge", Lambda: 1e-8, ValMSE: 0.0177, TestMSE: 0.0180, TestR2: 0.8, TestBlockSE: tileRuns(1, 1, 0.018)[0]}
	d.SGD = LinSGDSummary{Best: LinSGDCell{BatchSize: 10, LR: 0.1, MeanVal: 0.02621, SDVal: 0.00005, Runs: []LinSGDRun{{Lambda: 0.01}}},
		Closed: LinearFit{Lambda: 0.01, ValMSE: 0.02626}}
	relu, sigmoid := netRuns(tileRuns(2, 3, 0.012)), netRuns(tileRuns(3, 3, 0.020))
	d.Reg = []RegTune{
		{Label: "relu", BestArch: "2x32x32x1", BestLR: 0.3, BestVal: 0.013, Curves: relu, TestMSE: testMSEs(relu)},
		{Label: "sigmoid", BestArch: "2x16x16x1", BestLR: 1, BestVal: 0.018, Curves: sigmoid, TestMSE: testMSEs(sigmoid)},
	}
	d.Cls.Softmax = ClsBest{Runs: hitRunsOf(1, 3, 500, 0.97)}
	d.Cls.Softmax.TestAcc = testAccs(d.Cls.Softmax.Runs)
	d.Cls.Sigmoid = ClsBest{Runs: hitRunsOf(2, 3, 500, 0.90)}
	d.Cls.Sigmoid.TestAcc = testAccs(d.Cls.Sigmoid.Runs)
	d.Curve = []CurvePoint{
		{XSparsity: 20, NTrain: 400, RidgeTestMSE: 0.018, NetLabel: "relu", NetTestMSE: []float64{0.012, 0.012}, Steps: 40000},
		{XSparsity: 5, NTrain: 6400, RidgeTestMSE: 0.015, NetLabel: "relu", NetTestMSE: []float64{0.006, 0.006}, Steps: 40000},
	}
	h := Heat{Archs: []string{"2x16x16x1", "2x32x32x1"}, LRs: []float64{0.3}, Mean: [][]float64{{0.0131}, {0.013}}, SD: [][]float64{{1e-4}, {1e-4}},
		Diverged: boolGrid(2, 1), Untried: boolGrid(2, 1)}
	d.Reg[0].Heat = h
	return d
}

func testMSEs(runs []NetRun) []float64 {
	var out []float64
	for _, r := range runs {
		out = append(out, r.TestMSE)
	}
	return out
}

func changes(t *testing.T, name string, before, after string) {
	t.Helper()
	if before == after {
		t.Errorf("%s: the sentence did not change with the numbers:\n%s", name, before)
	}
}

// sgdData gives the SGD summary a design and closed-form coefficients, so
// that convergence is judged on the training objective.
func sgdData(d *reportData, beta []float64) {
	x := []float64{1, 0, 1, 1, 1, 2, 1, 3, 1, 4}
	y := []float64{1, 3, 5, 7, 9.5}
	d.Design.Train = Matrix{Rows: 5, Cols: 2, Data: x}
	d.Design.TrainPts.Z = y
	star, err := models.Ridge(d.Design.Train.Dense(), y, 0.01)
	if err != nil {
		panic(err)
	}
	d.SGD.Closed.Beta = star
	d.SGD.Closed.TestBlockSE = tileRuns(5, 1, 0.026)[0]
	d.SGD.Best.Runs = []LinSGDRun{{Lambda: 0.01, Beta: beta}, {Lambda: 0.01, Beta: beta}}
	d.SGD.TestBlockSE = tileRuns(6, 2, 0.0261)
}

func TestSGDvsClosedFollowsNumbers(t *testing.T) {
	d := claimsData()
	sgdData(d, nil)
	sgdData(d, d.SGD.Closed.Beta)
	a := d.SGDvsClosed()
	if !strings.Contains(a, "has reached the minimiser") || !strings.Contains(a, "is level with the closed form") || !strings.Contains(a, "optimistic") {
		t.Errorf("SGD at the minimiser, level on test: got %q", a)
	}
	d2 := claimsData()
	sgdData(d2, []float64{0.5, 1})
	d2.SGD.TestBlockSE = tileRuns(6, 2, 0.035)
	b := d2.SGDvsClosed()
	if !strings.Contains(b, "has not reached") || !strings.Contains(b, "loses to the closed form") {
		t.Errorf("SGD away from the minimiser, worse on test: got %q", b)
	}
	changes(t, "SGDvsClosed", a, b)
	if !d.SGDReachesClosed() || d2.SGDReachesClosed() {
		t.Errorf("SGDReachesClosed: %v and %v, want true and false", d.SGDReachesClosed(), d2.SGDReachesClosed())
	}
}

// A win, a loss and a tie each give their sentence, and the sentence
// changes when the numbers do.
func TestNetVsRidgeFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.NetVsRidge(d.Reg[0])
	if !strings.Contains(a, "beats") {
		t.Errorf("win: got %q", a)
	}
	b := d.NetVsRidge(d.Reg[1])
	if !strings.Contains(b, "loses to") {
		t.Errorf("loss: got %q", b)
	}
	// Ridge as good as the ReLU network: a tie.
	d.Ridge.TestBlockSE = tileRuns(7, 1, 0.01205)[0]
	c := d.NetVsRidge(d.Reg[0])
	if !strings.Contains(c, "is level with") {
		t.Errorf("tie: got %q", c)
	}
	changes(t, "NetVsRidge", a, c)
	if got := len(claimsData().Losers()); got != 1 {
		t.Errorf("Losers: %d, want 1 (sigmoid)", got)
	}
}

func TestBestNamesTies(t *testing.T) {
	d := claimsData()
	ms, _ := d.netMethods()
	one := d.bestSentence("terrain network kinds", ms)
	if !strings.Contains(one, "the ReLU network is the best") {
		t.Errorf("one best: got %q", one)
	}
	// The sigmoid network as good as the ReLU one: both are named.
	d.Reg[1].Curves = netRuns(tileRuns(8, 3, 0.01201))
	ms, _ = d.netMethods()
	two := d.bestSentence("terrain network kinds", ms)
	if !strings.Contains(two, "are level at the top") || !strings.Contains(two, "ReLU network") || !strings.Contains(two, "sigmoid network") {
		t.Errorf("tie at the top: got %q", two)
	}
	// The key-results table marks the tie.
	kr := keyResultsTable(d)
	marks := map[string]string{}
	for _, r := range kr.Rows {
		marks[r[1]] = r[5]
	}
	if marks["ReLU network"] == "worse" || marks["sigmoid network"] == "worse" || marks["Ridge, closed form"] != "worse" {
		t.Errorf("key results marks: %v", marks)
	}
}

func TestSoftmaxVsSigmoidFollowsNumbers(t *testing.T) {
	d := claimsData()
	a := d.SoftmaxVsSigmoid()
	if !strings.Contains(a, "beats") || !strings.Contains(a, "McNemar") {
		t.Errorf("win: got %q", a)
	}
	d.Cls.Sigmoid.Runs = hitRunsOf(3, 3, 500, 0.995)
	b := d.SoftmaxVsSigmoid()
	if !strings.Contains(b, "loses to") {
		t.Errorf("loss: got %q", b)
	}
	d.Cls.Sigmoid.Runs = d.Cls.Softmax.Runs
	if c := d.SoftmaxVsSigmoid(); !strings.Contains(c, "is level with") {
		t.Errorf("tie: got %q", c)
	}
}

func TestUncertaintyFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{pm(0.012345, 0.00061), "0.0123\u00a0±\u00a00.0006"},
		{pm(0.012345, 0.00021), "0.01235\u00a0±\u00a00.00021"},
		{pm(0.5, 0), "0.500\u00a0±\u00a00"},
		{pmPct(0.97512, 0.00003), "97.512\u00a0±\u00a00.003\u00a0%"},
		{pctCI(0.975, 0.969, 0.981), "97.5\u00a0[96.9,\u00a098.1]\u00a0%"},
		{valCI(0.0123, 0.0119, 0.0127), "0.0123\u00a0[0.0119,\u00a00.0127]"},
		{valCI(0.01234, 0.0121, 0.0126), "0.01234\u00a0[0.01210,\u00a00.01260]"},
		{ciVal(-0.007, -0.0003), "[-0.007,\u00a0-0.0003]"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestCurveAnswerFollowsNumbers(t *testing.T) {
	w := make([]float64, 100)
	for i := range w {
		w[i] = 1
	}
	point := func(xs, n int, capacity, arch string, seed uint64, mse float64) CurvePoint {
		return CurvePoint{XSparsity: xs, NTrain: n, RidgeTestMSE: 0.018, NetLabel: "relu", Capacity: capacity, NetArch: arch, Steps: 40000, CommonTest: 1000, TileCount: w,
			NetTileSE: tileRuns(seed, 2, mse)}
	}
	// set fills the curve: the networks at the smallest and the largest
	// size, and the wider and the deeper network at each.
	set := func(d *reportData, smallNet, largeNet, smallWide, largeWide, smallDeep, largeDeep float64) {
		d.Curve = []CurvePoint{point(20, 400, "", "2x8x1", 21, smallNet), point(5, 6400, "", "2x8x1", 23, largeNet)}
		d.CurveCap = []CurvePoint{point(20, 400, CapacityWider, "2x16x1", 22, smallWide), point(20, 400, CapacityDeeper, "2x8x8x1", 25, smallDeep),
			point(5, 6400, CapacityWider, "2x16x1", 24, largeWide), point(5, 6400, CapacityDeeper, "2x8x8x1", 26, largeDeep)}
		d.comparisons = nil
	}
	d := claimsData()
	set(d, 0.012, 0.006, 0.01201, 0.00601, 0.012, 0.006)
	a := d.CurveAnswer()
	if !strings.Contains(a, "limited by data") || !strings.Contains(a, "the same 40,000 optimisation steps") {
		t.Errorf("data-limited: got %q", a)
	}
	if !strings.Contains(strings.ToLower(a), "the deeper network (2x8x8x1) on 6400 training points is level with") {
		t.Errorf("no comparison of the deeper network at the largest size: %q", a)
	}
	// The largest set further from convergence than the smallest, and
	// data wins: the gain is understated; not when the largest had
	// levelled off.
	const understated = "the gain from more data is, if anything, understated"
	d.Curve[0].NetTailGain, d.Curve[1].NetTailGain = []float64{0.004, 0.006}, []float64{0.04, 0.05}
	if a := d.CurveAnswer(); !strings.Contains(a, understated) || !strings.Contains(a, "by a median of 0.5\u00a0% at 400 points and 4.5\u00a0% at 6400 points") {
		t.Errorf("largest still improving: %q", a)
	}
	d.Curve[1].NetTailGain = []float64{0.001, 0.002}
	if a := d.CurveAnswer(); strings.Contains(a, understated) {
		t.Errorf("largest levelled off, still says %q: %q", understated, a)
	}
	set(d, 0.012, 0.01201, 0.008, 0.008, 0.012, 0.012)
	if b := d.CurveAnswer(); !strings.Contains(b, "limited by capacity") {
		t.Errorf("capacity-limited (wider): got %q", b)
	}
	// Depth alone, at the largest size only.
	set(d, 0.012, 0.01201, 0.012, 0.012, 0.01201, 0.008)
	if b := d.CurveAnswer(); !strings.Contains(b, "limited by capacity") {
		t.Errorf("capacity-limited (deeper, largest size): got %q", b)
	}
	set(d, 0.012, 0.006, 0.008, 0.004, 0.012, 0.006)
	if b := d.CurveAnswer(); !strings.Contains(strings.ToLower(b), "both more data and more capacity") {
		t.Errorf("both: got %q", b)
	}
	set(d, 0.012, 0.01201, 0.01199, 0.012, 0.012, 0.01201)
	if c := d.CurveAnswer(); !strings.Contains(strings.ToLower(c), "neither more data nor wider or deeper layers") {
		t.Errorf("neither: got %q", c)
	}
}

func TestCapacityArch(t *testing.T) {
	for _, c := range []struct{ arch, capacity, want string }{
		{"2x8x8x1", "", "2x8x8x1"},
		{"2x8x8x1", CapacityWider, "2x16x16x1"},
		{"2x8x16x1", CapacityDeeper, "2x8x16x16x1"},
		{"2x32x1", CapacityDeeper, "2x32x32x1"},
	} {
		if got, err := capacityArch(c.arch, c.capacity); err != nil || got != c.want {
			t.Errorf("capacityArch(%q, %q) = %q, %v; want %q", c.arch, c.capacity, got, err, c.want)
		}
	}
	for _, c := range []struct{ arch, capacity string }{{"2x1", CapacityDeeper}, {"2x8x1", "taller"}, {"2xax1", CapacityWider}} {
		if _, err := capacityArch(c.arch, c.capacity); err == nil {
			t.Errorf("capacityArch(%q, %q): no error", c.arch, c.capacity)
		}
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
		keras := hitRunsOf(11, 2, 500, 0.95)
		for i := range keras {
			keras[i].Epochs, keras[i].TrainErr = 20, []float64{0.5, 0.02}
		}
		d.Keras = SeedsSummary{TestAcc: testAccs(keras), Runs: keras, Edges: Edges{Budget: &kb}}
		long := hitRunsOf(12, 2, 500, 0.975)
		long[0].Epochs = 300
		d.KerasLong = []SeedsSummary{{TestAcc: testAccs(long), BestEpoch: []float64{90, 100}, Runs: long}}
		d.Betas = []BetaRuns{
			{Model: "ols", Lambda: 0.01, Reference: []float64{1, 2}, Betas: [][]float64{{1.1, 2.1}, {0.9, 1.9}, {1, 2}}, Init: [][]float64{{0.1, 0.2}, {0.1, 0.2}, {0.1, 0.2}}, BestEpochs: []int{100, 100, 100}, Epochs: 100},
			{Model: "ridge", Lambda: 0.01, Reference: []float64{1, 2}, Betas: [][]float64{{1, 2}, {1, 2.01}, {1, 2}}},
		}
		d.OLS.Beta = []float64{50, -80}
		hits := hitRunsOf(13, 2, 500, 0.975)
		run := func(e int, w0, w1 float64) NetRun {
			r := hits[e%2]
			r.BestEpoch, r.OutWSD = e, []float64{w0, w1}
			return r
		}
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
		{"BetasSentence", (*reportData).BetasSentence, func(d *reportData) { d.Betas[0].Betas = [][]float64{{0.11, 0.21}, {0.1, 0.2}, {0.1, 0.2}} }, "most of the way to Ridge"},
		{"KerasExplained", (*reportData).KerasExplained, func(d *reportData) {
			d.KerasLong[0].Runs, d.KerasLong[0].TestAcc = d.Keras.Runs, d.Keras.TestAcc
			d.KerasLong[0].Runs[0].Epochs = 300
		}, "Most of the"},
		{"EpochsAttribution", (*reportData).EpochsAttribution, func(d *reportData) { d.Cls.Panels[0].Heat.BestEpoch = [][]float64{{15, 21}} }, "larger rates get there sooner"},
		{"OutputLayerSentence", (*reportData).OutputLayerSentence, func(d *reportData) { d.Cls.Softmax.Runs[0].OutWSD = []float64{0.2, 500} }, "neither by a hundredfold"},
		{"Abstract", (*reportData).Abstract, func(d *reportData) { d.Ridge.TestBlockSE = tileRuns(9, 1, 0.008)[0] }, "beats the linear baseline"},
		{"PredictionsSentence", (*reportData).PredictionsSentence, func(d *reportData) { d.Ridge.TestBlockSE = tileRuns(9, 1, 0.008)[0] }, "they are ReLU network (R² 0.900, the best), Ridge"},
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
