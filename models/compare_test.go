package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// losses draws seeds x n per-unit squared errors around level.
func losses(seed uint64, seeds, n int, level, noise float64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([][]float64, seeds)
	for s := range out {
		out[s] = make([]float64, n)
		for i := range out[s] {
			out[s][i] = math.Max(0, level+noise*rng.NormFloat64())
		}
	}
	return out
}

func TestCompareSquaredError(t *testing.T) {
	cfg := CompareConfig{Resamples: 1000, Seed: 1, Alpha: 0.05}
	a := losses(1, 3, 400, 0.010, 0.004)
	better := losses(2, 3, 400, 0.008, 0.004)
	same := losses(3, 3, 400, 0.010, 0.004)
	for _, c := range []struct {
		name string
		b    [][]float64
		want Outcome
	}{
		{"A worse than a lower loss", better, Worse},
		{"A level with the same loss", same, Level},
	} {
		got := Compare(SquaredError, a, c.b, nil, cfg)
		if got.Outcome != c.want {
			t.Errorf("%s: got %v (diff %g in [%g, %g]), want %v", c.name, got.Outcome, got.Diff, got.Lo, got.Hi, c.want)
		}
		if !(got.Lo <= got.Diff && got.Diff <= got.Hi) {
			t.Errorf("%s: diff %g outside its interval [%g, %g]", c.name, got.Diff, got.Lo, got.Hi)
		}
	}
	if got := Compare(SquaredError, better, a, nil, cfg); got.Outcome != Better {
		t.Errorf("the reverse: got %v, want better", got.Outcome)
	}
	// A method without seeds (one row) is paired with every seed.
	one := losses(4, 1, 400, 0.012, 0.004)
	if got := Compare(SquaredError, a, one, nil, cfg); got.Outcome != Better {
		t.Errorf("against one row: got %v", got.Outcome)
	}
	// Deterministic.
	x, y := Compare(SquaredError, a, same, nil, cfg), Compare(SquaredError, a, same, nil, cfg)
	if x != y {
		t.Errorf("two calls differ: %+v, %+v", x, y)
	}
	// Weights: a unit of weight 0 does not count.
	w := make([]float64, 400)
	for i := range w {
		w[i] = 1
	}
	bad := [][]float64{make([]float64, 400)}
	copy(bad[0], one[0])
	bad[0][0] = 1e6
	w[0] = 0
	if got := Compare(SquaredError, one, bad, w, cfg); got.Diff != 0 || got.Outcome != Level {
		t.Errorf("zero weight: diff %g, %v", got.Diff, got.Outcome)
	}
}

func hits(seed uint64, seeds, n int, acc float64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	out := make([][]float64, seeds)
	for s := range out {
		out[s] = make([]float64, n)
		for i := range out[s] {
			if rng.Float64() < acc {
				out[s][i] = 1
			}
		}
	}
	return out
}

func TestCompareCorrect(t *testing.T) {
	cfg := DefaultCompare
	a := hits(1, 1, 500, 0.97)
	if got := Compare(Correct, a, a, nil, cfg); got.Outcome != Level || got.P != 1 || got.Diff != 0 {
		t.Errorf("a method against itself: %+v", got)
	}
	worse := hits(2, 1, 500, 0.80)
	if got := Compare(Correct, a, worse, nil, cfg); got.Outcome != Better || got.NBetter <= got.NWorse {
		t.Errorf("97 %% against 80 %%: %+v", got)
	}
	if got := Compare(Correct, worse, a, nil, cfg); got.Outcome != Worse {
		t.Errorf("80 %% against 97 %%: %+v", got)
	}
	// Two images apart out of 500: level.
	b := [][]float64{append([]float64(nil), a[0]...)}
	n := 0
	for i := range b[0] {
		if b[0][i] == 1 && n < 2 {
			b[0][i] = 0
			n++
		}
	}
	if got := Compare(Correct, a, b, nil, cfg); got.Outcome != Level || got.NBetter != 2 || got.NWorse != 0 || !got.Exact {
		t.Errorf("two images apart: %+v", got)
	}
}

func TestMcNemar(t *testing.T) {
	for _, c := range []struct {
		b, c  int
		p     float64
		exact bool
	}{
		{0, 6, 2.0 / 64, true},
		{1, 5, 2 * 7.0 / 64, true},
		{3, 3, 1, true},
		{0, 0, 1, true},
		{10, 30, math.Erfc(math.Sqrt(19.0 * 19 / 40 / 2)), false},
	} {
		p, exact := McNemar(c.b, c.c)
		if math.Abs(p-c.p) > 1e-12 || exact != c.exact {
			t.Errorf("McNemar(%d, %d) = %g, %v; want %g, %v", c.b, c.c, p, exact, c.p, c.exact)
		}
	}
}

func TestRankNamesTies(t *testing.T) {
	cfg := CompareConfig{Resamples: 1000, Seed: 1, Alpha: 0.05}
	a := losses(1, 3, 400, 0.010, 0.004)
	b := losses(2, 3, 400, 0.0101, 0.004) // level with a
	c := losses(3, 3, 400, 0.014, 0.004)  // clearly worse
	order, tied := Rank(SquaredError, [][][]float64{c, b, a}, nil, cfg)
	if order[0] == 0 || order[2] != 0 {
		t.Errorf("order %v, want a or b first and c last", order)
	}
	if !tied[1] || !tied[2] || tied[0] {
		t.Errorf("tied %v, want a and b", tied)
	}
}

func TestIntervalCoversMean(t *testing.T) {
	a := losses(1, 5, 300, 0.01, 0.004)
	m, lo, hi := Interval(a, nil, DefaultCompare)
	if !(lo < m && m < hi) || hi-lo > 0.002 || hi-lo <= 0 {
		t.Errorf("mean %g, interval [%g, %g]", m, lo, hi)
	}
}

// With several seeds, a unit counts by how much more often one method gets
// it right: seed disagreements that cancel do not make a difference.
func TestCompareCorrectSeeds(t *testing.T) {
	n := 400
	a := [][]float64{make([]float64, n), make([]float64, n)}
	b := [][]float64{make([]float64, n)}
	for i := range n {
		b[0][i] = 1
		a[0][i], a[1][i] = 1, 1
		if i < 40 { // each seed of A misses 20 images the other gets
			a[i%2][i] = 0
		}
	}
	c := Compare(Correct, a, b, nil, DefaultCompare)
	if c.NBetter != 0 || c.NWorse != 20 || c.Outcome != Worse {
		t.Errorf("got %+v; want 20 discordant images against A and a loss", c)
	}
	if math.Abs(c.Diff-(-20.0/400)) > 1e-12 {
		t.Errorf("diff %g, want %g", c.Diff, -20.0/400)
	}
}

// McNemar's test holds the trained models fixed; when the rows (seeds, or
// splits of the data) disagree about which method is better, the bootstrap
// interval over rows and units contains 0 and the methods are level, even
// though McNemar's test on the pooled units would separate them.
func TestCompareCorrectNeedsTheRowsToAgree(t *testing.T) {
	cfg := CompareConfig{Resamples: 2000, Seed: 1, Alpha: 0.05}
	const n = 500
	hits := func(seed uint64, p float64) []float64 {
		rng := rand.New(rand.NewPCG(seed, 7))
		out := make([]float64, n)
		for i := range out {
			if rng.Float64() < p {
				out[i] = 1
			}
		}
		return out
	}
	// Four rows: on three A is far ahead; on one (another split) far behind,
	// by more than it gains on the others together.
	a := [][]float64{hits(1, 0.97), hits(2, 0.97), hits(3, 0.97), hits(4, 0.70)}
	b := [][]float64{hits(5, 0.92), hits(6, 0.92), hits(7, 0.92), hits(8, 0.95)}
	c := Compare(Correct, a, b, nil, cfg)
	if c.P >= cfg.Alpha {
		t.Fatalf("McNemar's p = %g: the case needs pooled units that separate the methods", c.P)
	}
	if c.Outcome != Level || !(c.Lo < 0 && c.Hi > 0) {
		t.Errorf("outcome %v, interval [%g, %g]: want level, the rows disagree", c.Outcome, c.Lo, c.Hi)
	}
	// The same methods when every row agrees: A is better.
	a[3], b[3] = hits(4, 0.97), hits(8, 0.92)
	if c := Compare(Correct, a, b, nil, cfg); c.Outcome != Better {
		t.Errorf("rows that agree: outcome %v (p %g, interval [%g, %g]), want better", c.Outcome, c.P, c.Lo, c.Hi)
	}
}

// With the rows in blocks, one per split of the data, McNemar's test
// counts each split's units apart: averaging a unit over splits, where it
// is a different test image in each, cancels most discordant pairs and
// would leave the test without power.
func TestCompareCorrectBlocks(t *testing.T) {
	const n = 400
	rng := rand.New(rand.NewPCG(9, 9))
	hits := func(p float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			if rng.Float64() < p {
				out[i] = 1
			}
		}
		return out
	}
	var a, b [][]float64 // three splits of two seeds each
	for range 6 {
		a, b = append(a, hits(0.98)), append(b, hits(0.95))
	}
	cfg := CompareConfig{Resamples: 2000, Seed: 1, Alpha: 0.05}
	pooled := Compare(Correct, a, b, nil, cfg)
	cfg.Blocks = 3
	blocked := Compare(Correct, a, b, nil, cfg)
	if blocked.Diff != pooled.Diff || blocked.Lo != pooled.Lo || blocked.Hi != pooled.Hi {
		t.Errorf("blocks changed the difference or its interval: %+v, %+v", blocked, pooled)
	}
	if got, want := blocked.NBetter-blocked.NWorse, 3*n*blocked.Diff; math.Abs(got-want) > 1e-9 {
		t.Errorf("NBetter - NWorse = %g, want the difference of correct counts over the 3 splits' units, %g", got, want)
	}
	if !(blocked.NBetter+blocked.NWorse > 2*(pooled.NBetter+pooled.NWorse)) || blocked.P >= pooled.P {
		t.Errorf("blocked: %g + %g discordant, p %g; pooled by position: %g + %g, p %g: want more discordant units and a smaller p",
			blocked.NBetter, blocked.NWorse, blocked.P, pooled.NBetter, pooled.NWorse, pooled.P)
	}
	if blocked.Outcome != Better {
		t.Errorf("blocked: %v (p %g, interval [%g, %g]), want better", blocked.Outcome, blocked.P, blocked.Lo, blocked.Hi)
	}
}
