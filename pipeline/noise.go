package pipeline

// The noise of a metric: a metric that is a mean over seeds carries its
// seed-to-seed standard deviation (NAME.sd) and its per-seed values
// (NAME.seeds[0], NAME.seeds[1], ...) beside it, so that a diff can say
// whether a change exceeds its own spread.

import (
	"math"
	"strconv"
	"strings"
)

// NoiseSDs is how many standard deviations a change must exceed to be
// "beyond noise" in a diff.
const NoiseSDs = 2

// SignificanceLevel is the level of the paired test of the rule
// "NAME_GLOB significant" (two-sided).
const SignificanceLevel = 0.05

// PutSeedValues records the per-seed values of the metric name (a mean over
// seeds) in m, as name.seeds[i]. The stage puts the mean itself under name
// and the sample standard deviation under name.sd.
func PutSeedValues(m map[string]float64, name string, xs []float64) {
	for i, x := range xs {
		m[SeedValueName(name, i)] = x
	}
}

// SeedValueName is the name of seed i's value of a metric: name.seeds[i].
func SeedValueName(name string, i int) string {
	return name + ".seeds[" + strconv.Itoa(i) + "]"
}

// splitSeedValue parses name.seeds[i]; ok is false for any other name.
func splitSeedValue(full string) (name string, i int, ok bool) {
	j := strings.LastIndex(full, ".seeds[")
	if j <= 0 || !strings.HasSuffix(full, "]") {
		return "", 0, false
	}
	n, err := strconv.Atoi(full[j+len(".seeds[") : len(full)-1])
	if err != nil || n < 0 || n > 1<<20 || strconv.Itoa(n) != full[j+len(".seeds["):len(full)-1] {
		return "", 0, false
	}
	return full[:j], n, true
}

// IsSeedValue reports whether a metric name is a per-seed value
// (name.seeds[i]) rather than a metric of its own.
func IsSeedValue(name string) bool {
	_, _, ok := splitSeedValue(name)
	return ok
}

// seedValues gathers, from a flat metric map, every metric's per-seed
// values in seed order. A metric whose indices are not 0..n-1 is left out.
func seedValues(m map[string]float64) map[string][]float64 {
	idx := map[string]map[int]float64{}
	for full, v := range m {
		name, i, ok := splitSeedValue(full)
		if !ok {
			continue
		}
		if idx[name] == nil {
			idx[name] = map[int]float64{}
		}
		idx[name][i] = v
	}
	out := map[string][]float64{}
	for name, byI := range idx {
		xs := make([]float64, len(byI))
		complete := true
		for i := range xs {
			v, ok := byI[i]
			if !ok {
				complete = false
				break
			}
			xs[i] = v
		}
		if complete {
			out[name] = xs
		}
	}
	return out
}

// A Noise is what a diff knows of a metric's spread.
type Noise struct {
	// SD is the seed-to-seed standard deviation, pooled over A and B:
	// sqrt((sdA² + sdB²) / 2), or the one side's when only one has it.
	SD *float64 `json:"sd"`
	// SDs is the change B - A in units of SD (±Inf when SD is 0).
	SDs *float64 `json:"sds"`
	// Seeds is the number of seed pairs of the paired test, and P its
	// two-sided p value; P is nil without per-seed values on both sides
	// (or with different numbers of seeds).
	Seeds int      `json:"seeds,omitempty"`
	P     *float64 `json:"p"`
	// Verdict is "within" (|B - A| <= NoiseSDs × SD), "beyond", or "" when
	// neither side records a spread.
	Verdict string `json:"verdict"`
}

// noiseOf describes the spread of metric name, moved from a to b.
func noiseOf(name string, a, b float64, ma, mb map[string]float64, sa, sb map[string][]float64) Noise {
	var n Noise
	sdA, okA := ma[name+".sd"]
	sdB, okB := mb[name+".sd"]
	var sd float64
	switch {
	case okA && okB:
		sd = math.Sqrt((sdA*sdA + sdB*sdB) / 2)
	case okA:
		sd = sdA
	case okB:
		sd = sdB
	}
	if okA || okB {
		if math.IsNaN(sd) || math.IsInf(sd, 0) || sd < 0 {
			okA, okB = false, false
		}
	}
	if okA || okB {
		n.SD = diffPtr(sd)
		x := sdUnits(b-a, sd)
		n.SDs = diffPtr(x)
		n.Verdict = "within"
		if math.Abs(x) > NoiseSDs*(1+1e-12) {
			n.Verdict = "beyond"
		}
	}
	if xa, xb := sa[name], sb[name]; len(xa) >= 2 && len(xa) == len(xb) {
		n.Seeds = len(xa)
		n.P = diffPtr(pairedTTest(xa, xb))
	}
	return n
}

// sdUnits is the change x in units of sd: ±Inf when sd is 0 and x is not.
func sdUnits(x, sd float64) float64 {
	switch {
	case x == 0:
		return 0
	case sd == 0:
		return math.Copysign(math.Inf(1), x)
	}
	return x / sd
}

// pairedTTest is the two-sided p value of Student's paired t test of the
// differences b[i] - a[i] (the same seeds on both sides): t = mean(d) /
// (sd(d) / sqrt(n)), n - 1 degrees of freedom. When the differences are
// all equal, t is undefined: p is that of the exact sign test, 2 × 0.5^n
// when they are not zero (every seed moved the same way: 0.5 for two
// seeds, below 0.05 from six), and 1 when they are.
func pairedTTest(a, b []float64) float64 {
	n := float64(len(a))
	var mean float64
	for i := range a {
		mean += b[i] - a[i]
	}
	mean /= n
	var ss float64
	for i := range a {
		d := b[i] - a[i] - mean
		ss += d * d
	}
	sd := math.Sqrt(ss / (n - 1))
	scale := 1e-12 * math.Max(math.Abs(mean), 1e-300)
	if sd <= scale {
		if mean == 0 {
			return 1
		}
		return math.Min(1, 2*math.Pow(0.5, n))
	}
	t := mean / (sd / math.Sqrt(n))
	return studentTwoSided(t, n-1)
}

// studentTwoSided is P(|T| >= |t|) for Student's t with df degrees of
// freedom: the regularised incomplete beta I_{df/(df+t²)}(df/2, 1/2).
func studentTwoSided(t, df float64) float64 {
	if math.IsInf(t, 0) {
		return 0
	}
	x := df / (df + t*t)
	return regIncBeta(df/2, 0.5, x)
}

// regIncBeta is the regularised incomplete beta function I_x(a, b), by its
// continued fraction (Numerical Recipes, betacf).
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		aa := fm * (b - fm) * x / ((qam + 2*fm) * (a + 2*fm))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + fm) * (qab + fm) * x / ((a + 2*fm) * (qap + 2*fm))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}

// headline is the metrics of m without the per-seed values.
func headline(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !IsSeedValue(k) {
			out[k] = v
		}
	}
	return out
}
