package stages

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/repro-dev/repro/models"
	"github.com/repro-dev/repro/numfmt"
	"github.com/repro-dev/repro/report"
)

// The report's comparisons of methods. Every "beats", "loses to", "level
// with" and "the best" of the report is a models.Compare of two methods'
// per-unit scores on the same test units (tiles of test cells on the
// terrain, images on the digits) with the same seeds: a paired bootstrap
// interval for test MSE, McNemar's test together with that interval for
// accuracies.

// BootstrapParams set the paired comparisons and 95 % intervals.
type BootstrapParams struct {
	Resamples int    `json:"resamples"`
	Seed      uint64 `json:"seed"`
}

// method is one method as the comparisons see it.
type method struct {
	Name   string
	Metric models.Metric
	Runs   [][]float64 // [seed][unit]: squared error per tile, or 1/0 per image
	// W weighs the units when they are not the report's test tiles (the
	// learning curve's common test cells); nil: d.weights.
	W []float64
	// Places is how many placements of the terrain's training grid the
	// rows span: grouped by placement, the study's first, the same number
	// of rows for each (0 or 1: the study's placement only).
	Places int
}

func (m method) ok() bool { return len(m.Runs) > 0 && len(m.Runs[0]) > 0 }

func (m method) places() int { return max(1, m.Places) }

// align returns the rows of methods compared together: on the placements
// all of them have (the study's alone when they differ), a method with one
// row per placement (the closed form) repeated for each seed of the
// others, so that row k of every method is the same placement and seed.
// It returns the number of placements used.
func align(ms []method) ([][][]float64, int) {
	places := ms[0].places()
	for _, m := range ms {
		if m.places() != places {
			places = 1
		}
	}
	blocks := make([][][]float64, len(ms))
	per := 1
	for i, m := range ms {
		blocks[i] = m.Runs[:len(m.Runs)/m.places()*places]
		per = max(per, len(blocks[i])/places)
	}
	if places == 1 {
		return blocks, 1 // models.Compare pairs a single row with every seed
	}
	for i, b := range blocks {
		if len(b) != places {
			continue
		}
		var rows [][]float64
		for _, r := range b {
			for range per {
				rows = append(rows, r)
			}
		}
		blocks[i] = rows
	}
	return blocks, places
}

func (d *reportData) compareConfig() models.CompareConfig { return d.P.Bootstrap.config() }

// config is models.DefaultCompare with these resamples and seed (when set).
func (b BootstrapParams) config() models.CompareConfig {
	c := models.DefaultCompare
	if b.Resamples > 0 {
		c.Resamples, c.Seed = b.Resamples, b.Seed
	}
	return c
}

// blocksConfig is compareConfig for rows in blocks of one split each: for
// accuracies, McNemar's test then counts the test images of each split of
// the digits apart (models.CompareConfig.Blocks).
func (d *reportData) blocksConfig(m models.Metric, places int) models.CompareConfig {
	c := d.compareConfig()
	if m == models.Correct {
		c.Blocks = places
	}
	return c
}

// weights are the units' weights: the test cells of each tile on the
// terrain, nil (equal) on the digits.
func (d *reportData) weights(m models.Metric) []float64 {
	if m != models.SquaredError {
		return nil
	}
	if d.tileWeights == nil {
		_, d.tileWeights = testBlocks(d.Split.Cols, d.Split.XSparsity, d.testCells())
	}
	return d.tileWeights
}

// testCells are the flat indices of the terrain's test cells, in the order
// of TerrainScaled.Test.
func (d *reportData) testCells() []int {
	var out []int
	for i, r := range d.Split.Role() {
		if r == 0 {
			out = append(out, i)
		}
	}
	return out
}

// compare is models.Compare of a with b (memoised by the scores: sentences
// and tables ask for the same pairs).
func (d *reportData) compare(a, b method) models.Comparison {
	rows, places := align([]method{a, b})
	key := fmt.Sprint(a.Metric, places, scoresKey(rows[0]), scoresKey(rows[1]), scoresKey([][]float64{a.W}))
	if c, ok := d.comparisons[key]; ok {
		return c
	}
	if d.comparisons == nil {
		d.comparisons = map[string]models.Comparison{}
	}
	w := a.W
	if w == nil {
		w = d.weights(a.Metric)
	}
	c := models.Compare(a.Metric, rows[0], rows[1], w, d.blocksConfig(a.Metric, places))
	d.comparisons[key] = c
	return c
}

// scoresKey is a hash of a method's scores.
func scoresKey(runs [][]float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, r := range runs {
		binary.LittleEndian.PutUint64(b[:], uint64(len(r)))
		h.Write(b[:])
		for _, v := range r {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	return h.Sum64()
}

// interval is a method's mean and 95 % interval over seeds and test units.
func (d *reportData) interval(m method) (mean, lo, hi float64) {
	if !m.ok() {
		return math.NaN(), math.NaN(), math.NaN()
	}
	key := fmt.Sprint("interval", m.Metric, scoresKey(m.Runs), scoresKey([][]float64{m.W}))
	if v, ok := d.memo[key]; ok {
		return v[0], v[1], v[2]
	}
	w := m.W
	if w == nil {
		w = d.weights(m.Metric)
	}
	mean, lo, hi = models.Interval(m.Runs, w, d.compareConfig())
	if d.memo == nil {
		d.memo = map[string][]float64{}
	}
	d.memo[key] = []float64{mean, lo, hi}
	return mean, lo, hi
}

// ranked orders methods best first and names those level with the best.
func (d *reportData) ranked(ms []method) (order []int, tied []bool) {
	if len(ms) == 0 {
		return nil, nil
	}
	runs, places := align(ms)
	key := fmt.Sprint("rank", ms[0].Metric, places)
	for _, r := range runs {
		key += fmt.Sprint(" ", scoresKey(r))
	}
	if v, ok := d.ranks[key]; ok {
		return v.order, v.tied
	}
	order, tied = models.Rank(ms[0].Metric, runs, d.weights(ms[0].Metric), d.blocksConfig(ms[0].Metric, places))
	if d.ranks == nil {
		d.ranks = map[string]ranking{}
	}
	d.ranks[key] = ranking{order, tied}
	return order, tied
}

type ranking struct {
	order []int
	tied  []bool
}

// bestNames names the methods level with the best: "the ReLU network", or
// "the ReLU network, the leaky ReLU network and ..., level with each other".
func bestNames(ms []method, order []int, tied []bool) []string {
	var out []string
	for _, i := range order {
		if tied[i] {
			out = append(out, ms[i].Name)
		}
	}
	return out
}

// Terrain methods.

// linName names the linear baseline chosen on validation: OLS when the
// unpenalised fit wins, else Ridge with its penalty.
func (d *reportData) linName() string {
	if d.Ridge.Lambda == 0 {
		return "OLS"
	}
	return fmt.Sprintf("closed-form Ridge (λ = %s)", report.FormatSig(d.Ridge.Lambda, 2))
}

// linShort is linName without the parenthesis.
func (d *reportData) linShort() string {
	if d.Ridge.Lambda == 0 {
		return "OLS"
	}
	return "Ridge"
}

// placesOf is the number of placements a comparison of ms uses.
func placesOf(ms []method) int {
	if len(ms) == 0 {
		return 1
	}
	_, n := align(ms)
	return n
}

// placements is the number of placements of the training grid the chosen
// terrain models were trained on (1: the study's only).
func (d *reportData) placements() int { return d.linMethod().places() }

// terrainData says what the terrain's main intervals resample, for the
// abstract.
func (d *reportData) terrainData() string {
	if n := d.placements(); n > 1 {
		return fmt.Sprintf("on the terrain the tiles of test cells and %d placements of the training grid", n)
	}
	return "on the terrain the tiles of test cells"
}

// terrainOverN is overWhat for the terrain's test table, with the number
// of tiles.
func (d *reportData) terrainOverN() string {
	tiles := len(d.weights(models.SquaredError))
	if n := d.placements(); n > 1 {
		return fmt.Sprintf("the seeds, the %d tiles of test cells and the %d placements of the training grid", tiles, n)
	}
	return fmt.Sprintf("the seeds and the %d tiles of test cells", tiles)
}

// digitsData says what the digits' main intervals resample, for the
// abstract.
func (d *reportData) digitsData() string {
	if n := d.splits(); n > 1 {
		return fmt.Sprintf("on the digits the test images and %d splits of the images", n)
	}
	return "on the digits the test images"
}

// DigitsOver says what a digits interval of the chosen models resamples.
func (d *reportData) DigitsOver() string { return digitsOver(len(d.DSplit.Test), d.splits()) }

func digitsOver(images, splits int) string {
	if splits > 1 {
		return fmt.Sprintf("the seeds, the %d test images of each split and %d splits of the digits", images, splits)
	}
	return fmt.Sprintf("the seeds and the %d test images", images)
}

// DataVariation says, for the methods, which variations of the data the
// intervals and comparisons include.
func (d *reportData) DataVariation() string {
	p, s := d.placements(), d.splits()
	if p <= 1 && s <= 1 {
		return "The intervals do not include other splits of the data."
	}
	var parts []string
	if p > 1 {
		parts = append(parts, fmt.Sprintf("on the terrain on %d placements of the training grid", p))
	}
	if s > 1 {
		parts = append(parts, fmt.Sprintf("on the digits on %d splits of the images", s))
	}
	return "To include the variation of the training data, the chosen models are trained again, with the same seeds, " + strings.Join(parts, " and ") +
		" (the study's and further ones: @tbl:settings); tuning ran on the study's data only. A method's runs are then its pairs of data and seed, and the bootstrap resamples them together with the test units; a method trained on the study's data only is compared on it alone, and its sentence says so."
}

// overWhat says what a terrain interval resamples.
func overWhat(places int) string {
	if places > 1 {
		return fmt.Sprintf("the tiles of test cells, the seeds and the %d placements of the training grid", places)
	}
	return "the tiles of test cells and the seeds"
}

// placed adds to m the rows of its model trained on the further
// placements of the training grid (label: PlacementRuns.Label), when
// every placement has as many rows as the study's.
func (d *reportData) placed(m method, label string) method {
	var blocks [][][]float64
	for _, p := range d.Placed {
		if p.Label == label {
			blocks = append(blocks, p.TileSE)
		}
	}
	return extended(m, blocks)
}

// extended is m with the rows of its model on further placements or
// splits of the data (one block of rows each, m.Runs being the study's),
// or m alone unless every block has m's shape.
func extended(m method, blocks [][][]float64) method {
	if len(blocks) == 0 || !m.ok() {
		return m
	}
	rows := slices.Clone(m.Runs)
	for _, b := range blocks {
		if len(b) != len(m.Runs) || len(b[0]) != len(m.Runs[0]) {
			return m
		}
		rows = append(rows, b...)
	}
	m.Runs, m.Places = rows, 1+len(blocks)
	return m
}

func (d *reportData) linMethod() method {
	return d.placed(method{Name: d.linName(), Metric: models.SquaredError, Runs: [][]float64{d.Ridge.TestBlockSE}}, "ridge")
}

func (d *reportData) sgdMethod() method {
	return d.placed(method{Name: "Ridge by SGD", Metric: models.SquaredError, Runs: d.SGD.TestBlockSE}, "sgd")
}

func (d *reportData) netMethod(t RegTune) method {
	m := method{Name: "the " + kindName(t.Label), Metric: models.SquaredError}
	for _, r := range t.Curves {
		if len(r.TestBlockSE) > 0 {
			m.Runs = append(m.Runs, r.TestBlockSE)
		}
	}
	return d.placed(m, t.Label)
}

// netMethods are the terrain network kinds, the study's and the extensions.
func (d *reportData) netMethods() ([]method, []RegTune) {
	var ms []method
	var ts []RegTune
	for _, t := range append(append([]RegTune(nil), d.Reg...), d.Extra...) {
		if m := d.netMethod(t); m.ok() {
			ms, ts = append(ms, m), append(ts, t)
		}
	}
	return ms, ts
}

// Digits methods.

func hitRuns(runs []NetRun) [][]float64 {
	var out [][]float64
	for _, r := range runs {
		if len(r.TestHit) == 0 {
			continue
		}
		row := make([]float64, len(r.TestHit))
		for i, h := range r.TestHit {
			row[i] = float64(h)
		}
		out = append(out, row)
	}
	return out
}

func clsMethod(name string, runs []NetRun) method {
	return method{Name: name, Metric: models.Correct, Runs: hitRuns(runs)}
}

// The digits methods on every split: the study's split's runs, then the
// same model's runs on each further split (see resplit.go).

// resplitOf adds to m the rows of its model trained on the further splits
// of the digits (label: ResplitRuns.Label), when every split has as many
// rows as the study's and, for a network the tuning chose (cell set), the
// same cell.
func (d *reportData) resplitOf(m method, label string, cell ClsBest) method {
	if label == "" {
		return m
	}
	var blocks [][][]float64
	for _, r := range d.Resplit {
		if r.Label != label {
			continue
		}
		if cell.Arch != "" && (r.Arch != cell.Arch || r.Hidden != cell.Hidden || r.Output != cell.Output || r.LR != cell.LR) {
			return m
		}
		blocks = append(blocks, hitRuns(r.Runs))
	}
	return extended(m, blocks)
}

// cellLabel is the label of a chosen network's runs on the further splits.
func (d *reportData) cellLabel(b ClsBest) string {
	switch {
	case b.Arch == "":
		return ""
	case sameCell(b, d.Cls.Softmax):
		return ResplitSoftmax
	case sameCell(b, d.Cls.Sigmoid):
		return ResplitSigmoid
	case sameCell(b, d.Cls.Study):
		return ResplitStudy
	}
	return ""
}

// cellMethod is a digits network the tuning chose, on every split.
func (d *reportData) cellMethod(name string, b ClsBest) method {
	return d.resplitOf(clsMethod(name, b.Runs), d.cellLabel(b), b)
}

func (d *reportData) bestNetMethod(name string) method { return d.cellMethod(name, d.Cls.Best) }

func (d *reportData) logSGDMethod(name string) method {
	return d.resplitOf(clsMethod(name, d.LogSGD.Runs), ResplitLogistic, ClsBest{})
}

func (d *reportData) kerasMethod(name string) method {
	return d.resplitOf(clsMethod(name, d.Keras.Runs), ResplitKeras, ClsBest{})
}

func (d *reportData) kerasLongMethod(name string, l SeedsSummary) method {
	return d.resplitOf(clsMethod(name, l.Runs), ResplitKerasLong, ClsBest{})
}

func (d *reportData) kerasRawMethod(name string, r SeedsSummary) method {
	return d.resplitOf(clsMethod(name, r.Runs), ResplitKerasRaw, ClsBest{})
}

func (d *reportData) lbfgsMethod() method {
	return d.resplitOf(clsMethod("logistic regression by L-BFGS", []NetRun{{TestHit: d.LBFGS.TestHit}}), ResplitLBFGS, ClsBest{})
}

// splits is the number of splits of the digits the chosen models were
// trained on (1: the study's only).
func (d *reportData) splits() int { return d.bestNetMethod("").places() }

// digitsMethods are the digits methods of the key results, best network
// first.
func (d *reportData) digitsMethods() []method {
	ms := []method{d.bestNetMethod("the best network on validation (" + clsName(d.Cls.Best) + ")")}
	if !sameCell(d.Cls.Softmax, d.Cls.Best) && len(d.Cls.Softmax.Runs) > 0 {
		ms = append(ms, d.cellMethod("the best softmax-output network ("+clsName(d.Cls.Softmax)+")", d.Cls.Softmax))
	}
	if !sameCell(d.Cls.Sigmoid, d.Cls.Best) && len(d.Cls.Sigmoid.Runs) > 0 {
		ms = append(ms, d.cellMethod("the best sigmoid-output network ("+clsName(d.Cls.Sigmoid)+")", d.Cls.Sigmoid))
	}
	if st := d.Cls.Study; len(st.Runs) > 0 && !sameCell(st, d.Cls.Best) && !sameCell(st, d.Cls.Softmax) && !sameCell(st, d.Cls.Sigmoid) {
		ms = append(ms, d.cellMethod("the study's best architecture ("+clsName(st)+")", st))
	}
	ms = append(ms, d.logSGDMethod("logistic regression by SGD"), d.lbfgsMethod(), d.kerasMethod("the Keras-style baseline"))
	for _, l := range d.KerasLong {
		ms = append(ms, d.kerasLongMethod("the Keras-style baseline trained to convergence", l))
	}
	var out []method
	for _, m := range ms {
		if m.ok() {
			out = append(out, m)
		}
	}
	return out
}

func sameCell(a, b ClsBest) bool {
	return a.Arch == b.Arch && a.Hidden == b.Hidden && a.Output == b.Output && a.LR == b.LR
}

func clsName(b ClsBest) string {
	return fmt.Sprintf("%s, %s hidden, %s output", b.Arch, activationName(b.Hidden), b.Output)
}

// Sentences.

// verb is what a comparison of A with B says A does.
func verb(c models.Comparison) string {
	switch c.Outcome {
	case models.Better:
		return "beats"
	case models.Worse:
		return "loses to"
	}
	return "is level with"
}

// evidence is the numbers behind a comparison, for a parenthesis: the
// difference, its 95 % interval and the test.
func (d *reportData) evidence(c models.Comparison, places int) string {
	if c.Metric == models.Correct {
		n := len(d.DSplit.Test)
		test := "McNemar's test"
		if c.Exact {
			test += ", exact"
		}
		diff := signedPts(c.Diff, c.Lo, c.Hi)
		unit := " points"
		if diff == "1" || diff == "-1" {
			unit = " point"
		}
		if places > 1 {
			return fmt.Sprintf("difference %s%s, 95 %% interval %s over %s; of the %s test images of the %d splits, right only for the first: %s, only for the second: %s (mean over seeds); %s, %s",
				diff, unit, ciPts(c.Lo, c.Hi), digitsOver(n, places), numfmt.Thousands(uint64(n*places)), places, count(c.NBetter), count(c.NWorse), test, pval(c.P))
		}
		return fmt.Sprintf("difference %s%s, 95 %% interval %s; of the %d test images, right only for the first: %s, only for the second: %s (mean over seeds); %s, %s",
			diff, unit, ciPts(c.Lo, c.Hi), n, count(c.NBetter), count(c.NWorse), test, pval(c.P))
	}
	return fmt.Sprintf("difference in test MSE %s, 95 %% interval %s, paired bootstrap over %s",
		signedVal(c.Diff, c.Lo, c.Hi), ciVal(c.Lo, c.Hi), overWhat(places))
}

// versus is a sentence comparing a with b on the test set.
func (d *reportData) versus(a, b method) string {
	if !a.ok() || !b.ok() {
		return ""
	}
	c := d.compare(a, b)
	_, places := align([]method{a, b})
	where := "on the test cells"
	scores := fmt.Sprintf("test MSE %s against %s", sig(c.MeanA), sig(c.MeanB))
	if c.Metric == models.Correct {
		where = "on the test images"
		scores = fmt.Sprintf("%s against %s", pct(c.MeanA, 1), pct(c.MeanB, 1))
	}
	return fmt.Sprintf("%s %s %s %s: %s (%s).", upperFirst(a.Name), verb(c), b.Name, where, scores, d.evidence(c, places))
}

// bestSentence names the methods level with the best on the test set.
func (d *reportData) bestSentence(what string, ms []method) string {
	if len(ms) == 0 {
		return ""
	}
	order, tied := d.ranked(ms)
	names := bestNames(ms, order, tied)
	if len(names) == 1 {
		return fmt.Sprintf("Of the %s, %s is the best on the test set: every other is worse by a paired test.", what, names[0])
	}
	return fmt.Sprintf("Of the %s, %s are level at the top on the test set: %s has the best mean, and no paired test separates the others from it.",
		what, joinAnd(names), ms[order[0]].Name)
}

// Number formatting: uncertainties to one or two significant figures (two
// when the first digit is 1 or 2), values to the same decimal place.

// uncDecimals is the number of decimals that shows u to one or two
// significant figures.
func uncDecimals(u float64) int {
	u = math.Abs(u)
	if u == 0 || math.IsNaN(u) || math.IsInf(u, 0) {
		return 3
	}
	e := int(math.Floor(math.Log10(u)))
	lead := u / math.Pow(10, float64(e))
	d := -e
	if lead < 2.95 {
		d++
	}
	return max(d, 0)
}

// pm formats m ± u with u to one or two significant figures ("0.0123 ±
// 0.0006"); an exact zero uncertainty is "m ± 0".
func pm(m, u float64) string {
	if u == 0 {
		return nbsp(report.FormatSig(m, 3) + " ± 0")
	}
	k := uncDecimals(u)
	return nbsp(strconv.FormatFloat(m, 'f', k, 64) + " ± " + strconv.FormatFloat(math.Abs(u), 'f', k, 64))
}

// pmPct is pm for fractions shown as percentages.
func pmPct(m, u float64) string {
	if u == 0 {
		return nbsp(fmt.Sprintf("%.1f ± 0 %%", 100*m))
	}
	k := uncDecimals(100 * u)
	return nbsp(strconv.FormatFloat(100*m, 'f', k, 64) + " ± " + strconv.FormatFloat(100*math.Abs(u), 'f', k, 64) + " %")
}

// ciVal formats a 95 % interval with the precision of its half-width.
func ciVal(lo, hi float64) string {
	k := uncDecimals((hi - lo) / 2)
	return nbsp(fmt.Sprintf("[%s, %s]", endFmt(lo, k), endFmt(hi, k)))
}

// endFmt formats an interval's end with k decimals, or to one significant
// figure when those decimals would round it to zero: an end just below or
// above zero keeps its sign visible.
func endFmt(x float64, k int) string {
	s := strconv.FormatFloat(x, 'f', k, 64)
	if x != 0 && strings.Trim(s, "-0.") == "" {
		return report.FormatSig(x, 1)
	}
	return s
}

func signedVal(x, lo, hi float64) string {
	return strconv.FormatFloat(x, 'f', uncDecimals((hi-lo)/2), 64)
}

func ciPts(lo, hi float64) string {
	k := uncDecimals(100 * (hi - lo) / 2)
	return nbsp(fmt.Sprintf("[%s, %s]", endFmt(100*lo, k), endFmt(100*hi, k)))
}

func signedPts(x, lo, hi float64) string {
	return strconv.FormatFloat(100*x, 'f', uncDecimals(100*(hi-lo)/2), 64)
}

// valCI is "m [lo, hi]" for a test MSE with its 95 % interval.
func valCI(m, lo, hi float64) string {
	k := uncDecimals((hi - lo) / 2)
	return nbsp(strconv.FormatFloat(m, 'f', k, 64) + " " + ciVal(lo, hi))
}

// pctCI is "97.5 [96.9, 98.1] %" for an accuracy with its 95 % interval.
func pctCI(m, lo, hi float64) string {
	k := uncDecimals(100 * (hi - lo) / 2)
	return nbsp(strconv.FormatFloat(100*m, 'f', k, 64) + " " + ciPts(lo, hi) + " %")
}

func pval(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + report.FormatSig(p, 2)
}

// count formats a discordant count, a whole number with one seed.
func count(x float64) string { return strconv.FormatFloat(math.Round(10*x)/10, 'f', -1, 64) }

// Methods' intervals, for the tables and sentences.

func (d *reportData) mseCI(m method) string {
	if !m.ok() {
		return "—"
	}
	return valCI(d.interval(m))
}

func (d *reportData) accCI(m method) string {
	if !m.ok() {
		return "—"
	}
	return pctCI(d.interval(m))
}

// rmseMetres converts a scaled test MSE to an RMSE in metres: heights were
// divided by the training heights' range.
func (d *reportData) rmseMetres(mse float64) float64 {
	return math.Sqrt(mse) * d.heightRange()
}

// heightRange is the range of the training heights (metres), by which
// heights were scaled to [0, 1].
func (d *reportData) heightRange() float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range d.Split.Train {
		if i < len(d.Terrain.Z) {
			lo, hi = math.Min(lo, d.Terrain.Z[i]), math.Max(hi, d.Terrain.Z[i])
		}
	}
	if hi <= lo {
		return 1
	}
	return hi - lo
}

// rmseCI is the RMSE in metres with its 95 % interval.
func (d *reportData) rmseCI(m method) string {
	if !m.ok() {
		return "—"
	}
	mean, lo, hi := d.interval(m)
	return valCI(d.rmseMetres(mean), d.rmseMetres(math.Max(lo, 0)), d.rmseMetres(hi))
}

// BestAccCI is the best digits network's test accuracy with its 95 %
// interval (for the template).
func (d *reportData) BestAccCI() string { return d.accCI(d.bestNetMethod("")) }

// LogSGDAccCI is logistic regression by SGD's test accuracy with its 95 %
// interval (for the template).
func (d *reportData) LogSGDAccCI() string { return d.accCI(d.logSGDMethod("")) }

// LBFGSCI is L-BFGS logistic regression's test accuracy with its 95 %
// interval over the test images (and the splits).
func (d *reportData) LBFGSCI() string { return d.accCI(d.lbfgsMethod()) }

// DigitsComparison ranks the digits methods on the test images and
// compares the best network with logistic regression by L-BFGS.
func (d *reportData) DigitsComparison() string {
	ms := d.digitsMethods()
	s := d.bestSentence("digits methods in @tbl:digits", ms)
	best := d.bestNetMethod("the best network on validation")
	if lb := d.lbfgsMethod(); best.ok() && lb.ok() {
		s += " " + d.versus(best, lb)
	}
	if st := d.Cls.Study; len(st.Runs) > 0 && !sameCell(st, d.Cls.Best) {
		sm := d.cellMethod(fmt.Sprintf("the study's best architecture (%s, γ0 = %s)", clsName(st), num(st.LR)), st)
		if sm.ok() && best.ok() {
			s += fmt.Sprintf(" The study's own best network, %s, was not our choice on validation; on the test images it reaches %s, against %s *published*. ", clsName(st), d.accCI(sm), pct(d.Pub.Digits.BestNetwork.TestAccuracy, 1))
			s += d.versus(sm, best)
		}
	}
	return s
}
