package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Paired comparison of two methods scored on the same test units (test
// points or blocks of them, test images) with the same seeds. Every "beats",
// "loses to", "level with" and "the best" of the report comes from Compare.

// Metric says what a per-unit score is and how two methods are compared.
type Metric int

const (
	// SquaredError is a per-unit loss (lower is better); two methods are
	// compared by a paired bootstrap interval of the difference of their
	// means, over units and seeds.
	SquaredError Metric = 0
	// Correct is 1 for a correctly classified unit and 0 otherwise (higher
	// is better); two methods are compared by McNemar's test on the same
	// units: exact binomial on the discordant units when there are few of
	// them, chi-squared with continuity correction otherwise. With several
	// seeds a unit's score is its mean over seeds, and it counts as
	// discordant by the difference of the two means (see
	// Comparison.NBetter); with one seed per method it is McNemar's test
	// exactly. Fractional counts make the test conservative. A
	// difference also needs the paired bootstrap interval, which resamples
	// the rows (seeds, and splits of the data) as well as the units, to
	// exclude 0: McNemar's test alone holds the trained models fixed.
	Correct Metric = 1
)

// Outcome is what a comparison of A with B concludes.
type Outcome int

const (
	Level  Outcome = 0 // the difference is within the noise
	Better Outcome = 1 // A is better than B
	Worse  Outcome = 2 // A is worse than B
)

func (o Outcome) String() string {
	switch o {
	case Better:
		return "better"
	case Worse:
		return "worse"
	}
	return "level"
}

// CompareConfig sets the resampling: Resamples bootstrap replicates drawn
// by a generator seeded with Seed (the same replicates for every
// comparison: deterministic, and independent of the order of comparisons),
// and the two-sided level Alpha (0.05: 95 % intervals).
type CompareConfig struct {
	Resamples int
	Seed      uint64
	Alpha     float64
	// Blocks, above 1, says that the rows are that many blocks of as many
	// rows each, one per split of the data (each block the same seeds), so
	// that a unit of one block is not the unit of the same index in
	// another (another split's test image). McNemar's test (Correct) then
	// counts each block's units apart, a unit's score its mean over its
	// block's rows; the bootstrap resamples rows and units as they are.
	Blocks int
}

// DefaultCompare is 2000 replicates, seed 1, 95 % intervals.
var DefaultCompare = CompareConfig{Resamples: 2000, Seed: 1, Alpha: 0.05}

// Comparison is the result of Compare(A, B).
type Comparison struct {
	Metric       Metric
	MeanA, MeanB float64 // the metric of each method: mean over seeds and units (weighted)
	Diff         float64 // MeanA - MeanB
	// Lo and Hi bound the (1 - Alpha) paired bootstrap interval of Diff,
	// resampling units and seeds together.
	Lo, Hi float64
	// P is the p-value of the test that decides (McNemar's for Correct,
	// the bootstrap's two-sided p for SquaredError).
	P float64
	// NBetter and NWorse are McNemar's discordant counts (Correct only):
	// the units A gets right and B wrong, and the reverse. With several
	// seeds a unit counts by how much more often one method gets it right
	// (the sum over units of the positive and of the negative parts of the
	// difference of the seed means), so that NBetter - NWorse is the
	// difference of the correct counts; with one seed each they are
	// McNemar's counts exactly. Exact says whether P is the exact
	// binomial's.
	NBetter, NWorse float64
	Exact           bool
	Outcome         Outcome
}

// Compare compares method A with method B from their per-unit scores:
// a[s][i] is A's score of unit i with seed s (one row for a method without
// seeds, which is then paired with every seed of the other; otherwise both
// have the same seeds in the same order). w weighs the units (nil: equal
// weights), e.g. the number of test points in each block. It panics if the
// shapes disagree.
func Compare(m Metric, a, b [][]float64, w []float64, cfg CompareConfig) Comparison {
	d := pairedDiffs(a, b)
	c := Comparison{Metric: m, MeanA: weightedMean(a, w), MeanB: weightedMean(b, w)}
	c.Diff = c.MeanA - c.MeanB
	reps := bootstrap(d, w, cfg)
	c.Lo, c.Hi = percentile(reps, cfg.Alpha/2), percentile(reps, 1-cfg.Alpha/2)
	switch m {
	case SquaredError:
		below := 0
		for _, r := range reps {
			if r < 0 {
				below++
			}
		}
		f := float64(below) / float64(len(reps))
		c.P = math.Min(1, 2*math.Min(f, 1-f))
		switch {
		case c.Hi < 0:
			c.Outcome = Better
		case c.Lo > 0:
			c.Outcome = Worse
		}
	case Correct:
		ma, mb := blockUnitMeans(a, cfg.Blocks), blockUnitMeans(b, cfg.Blocks)
		for i := range ma {
			if x := ma[i] - mb[i]; x > 0 {
				c.NBetter += x
			} else {
				c.NWorse -= x
			}
		}
		c.P, c.Exact = McNemar(int(math.Round(c.NBetter)), int(math.Round(c.NWorse)))
		// McNemar's test sees the test units; the bootstrap interval also
		// resamples the rows (the seeds, and the splits of the data when
		// the rows span several): a difference counts only when both
		// exclude 0.
		if c.P < cfg.Alpha {
			if c.NBetter > c.NWorse && c.Lo > 0 {
				c.Outcome = Better
			} else if c.NBetter < c.NWorse && c.Hi < 0 {
				c.Outcome = Worse
			}
		}
	default:
		panic("models: Compare: unknown metric")
	}
	return c
}

// Interval is the mean of one method's per-unit scores (a[s][i], weighted
// by w over units) and its (1 - Alpha) bootstrap interval, resampling
// units and seeds: the uncertainty from the test data and the seeds
// together.
func Interval(a [][]float64, w []float64, cfg CompareConfig) (mean, lo, hi float64) {
	reps := bootstrap(a, w, cfg)
	return weightedMean(a, w), percentile(reps, cfg.Alpha/2), percentile(reps, 1-cfg.Alpha/2)
}

// Rank orders methods by their mean score, best first (lowest for
// SquaredError, highest for Correct), and marks the methods level with the
// best: tied[j] is true for the best and for every method whose Compare
// with the best is Level.
func Rank(m Metric, methods [][][]float64, w []float64, cfg CompareConfig) (order []int, tied []bool) {
	means := make([]float64, len(methods))
	for i, x := range methods {
		means[i] = weightedMean(x, w)
	}
	order = make([]int, len(methods))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		if m == Correct {
			return means[order[i]] > means[order[j]]
		}
		return means[order[i]] < means[order[j]]
	})
	tied = make([]bool, len(methods))
	if len(order) == 0 {
		return order, tied
	}
	best := order[0]
	for j := range methods {
		tied[j] = j == best || Compare(m, methods[best], methods[j], w, cfg).Outcome == Level
	}
	return order, tied
}

// McNemar is the two-sided p-value of McNemar's test for b units that only
// A gets right and c units that only B gets right: the exact binomial test
// of b against Binomial(b + c, 1/2) when b + c < 25 (exact is true), the
// chi-squared statistic (|b - c| - 1)² / (b + c) with one degree of freedom
// otherwise.
func McNemar(b, c int) (p float64, exact bool) {
	n := b + c
	if n == 0 {
		return 1, true
	}
	if n < 25 {
		k := min(b, c)
		var tail float64
		for i := 0; i <= k; i++ {
			tail += math.Exp(lchoose(n, i) - float64(n)*math.Ln2)
		}
		return math.Min(1, 2*tail), true
	}
	x := math.Abs(float64(b-c)) - 1
	chi2 := math.Max(x, 0) * math.Max(x, 0) / float64(n)
	return math.Erfc(math.Sqrt(chi2 / 2)), false
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// pairedDiffs is a - b per seed and unit, a method with one row paired with
// every row of the other.
func pairedDiffs(a, b [][]float64) [][]float64 {
	if len(a) == 0 || len(b) == 0 {
		panic("models: Compare: a method without scores")
	}
	s := max(len(a), len(b))
	if len(a) != s && len(a) != 1 || len(b) != s && len(b) != 1 {
		panic("models: Compare: the methods have different seeds")
	}
	out := make([][]float64, s)
	for k := range out {
		ra, rb := a[min(k, len(a)-1)], b[min(k, len(b)-1)]
		if len(ra) != len(rb) || len(ra) == 0 {
			panic("models: Compare: the methods are scored on different units")
		}
		out[k] = make([]float64, len(ra))
		for i := range ra {
			out[k][i] = ra[i] - rb[i]
		}
	}
	return out
}

// blockUnitMeans is unitMeans of each of k blocks of rows, one after the
// other (unitMeans of all rows unless k > 1 divides them).
func blockUnitMeans(a [][]float64, k int) []float64 {
	if k <= 1 || len(a)%k != 0 {
		return unitMeans(a)
	}
	per := len(a) / k
	var out []float64
	for b := range k {
		out = append(out, unitMeans(a[b*per:(b+1)*per])...)
	}
	return out
}

func unitMeans(a [][]float64) []float64 {
	out := make([]float64, len(a[0]))
	for _, r := range a {
		for i, v := range r {
			out[i] += v / float64(len(a))
		}
	}
	return out
}

func weightedMean(a [][]float64, w []float64) float64 {
	u := unitMeans(a)
	var s, sw float64
	for i, v := range u {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s += wi * v
		sw += wi
	}
	return s / sw
}

// bootstrap returns cfg.Resamples replicates of the weighted mean of x
// (x[s][i]) with the seeds and the units drawn with replacement.
func bootstrap(x [][]float64, w []float64, cfg CompareConfig) []float64 {
	n, ns := len(x[0]), len(x)
	if w != nil && len(w) != n {
		panic("models: bootstrap: one weight per unit")
	}
	for _, r := range x {
		if len(r) != n {
			panic("models: bootstrap: rows of different lengths")
		}
	}
	reps := max(cfg.Resamples, 1)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	out := make([]float64, reps)
	row := make([]float64, n)
	count := make([]int, ns)
	for r := range out {
		clear(count)
		for range ns {
			count[rng.IntN(ns)]++
		}
		clear(row)
		for s, k := range count {
			if k == 0 {
				continue
			}
			f := float64(k) / float64(ns)
			for i, v := range x[s] {
				row[i] += f * v
			}
		}
		var sum, sw float64
		for range n {
			i := rng.IntN(n)
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			sum += wi * row[i]
			sw += wi
		}
		out[r] = sum / sw
	}
	return out
}

// percentile is the q-quantile of xs by linear interpolation.
func percentile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}
