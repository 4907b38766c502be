package pipeline

import (
	"math"
	"strings"
	"testing"
)

func TestParseMetricRule(t *testing.T) {
	for _, c := range []struct {
		expr     string
		glob, op string
		value    float64
		relative bool
	}{
		{"digits.nn.best.test_accuracy < -0.005", "digits.nn.best.test_accuracy", "<", -0.005, false},
		{"terrain.*.test_mse > +5%", "terrain.*.test_mse", ">", 0.05, true},
		{"  x<=1e-3 ", "x", "<=", 0.001, false},
		{"a.b >= -2%", "a.b", ">=", -0.02, true},
		{"a.b>0", "a.b", ">", 0, false},
		{"a.b < 12.5 %", "", "", 0, false}, // the % must follow the number
	} {
		r, err := ParseMetricRule(c.expr)
		if c.glob == "" {
			if err == nil {
				t.Errorf("%q: no error", c.expr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if r.Glob != c.glob || r.Op != c.op || math.Abs(r.Value-c.value) > 1e-15 || r.Relative != c.relative {
			t.Errorf("%q: got %q %q %v rel=%v, want %q %q %v rel=%v", c.expr, r.Glob, r.Op, r.Value, r.Relative, c.glob, c.op, c.value, c.relative)
		}
	}
}

func TestParseMetricRuleErrors(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"", "no comparison"},
		{"digits.accuracy", "no comparison"},
		{"a = 1", `comparison "="`},
		{"a == 1", `comparison "=="`},
		{"a != 1", `comparison "!="`},
		{"a =< 1", `comparison "=<"`},
		{"< 1", "no metric name"},
		{"a <", `value ""`},
		{"a < x", `value "x"`},
		{"a < 5%%", `value "5%%"`},
		{"a <> 1", `value "> 1"`},
		{"a b < 1", "holds a space"},
		{"a < NaN", `value "NaN"`},
		{"a < +Inf%", `value "+Inf%"`},
	} {
		_, err := ParseMetricRule(c.expr)
		if err == nil {
			t.Errorf("%q: no error", c.expr)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "want NAME_GLOB OP VALUE") {
			t.Errorf("%q: error %q lacks %q or the expected syntax", c.expr, err, c.want)
		}
	}
}

func TestMetricRuleMatches(t *testing.T) {
	for _, c := range []struct {
		glob, name string
		want       bool
	}{
		{"terrain.*.test_mse", "terrain.ols.test_mse", true},
		{"terrain.*.test_mse", "terrain.nn.extra.wide-adam.test_mse", true},
		{"terrain.*.test_mse", "terrain.ols.test_mse.sd", false},
		{"terrain.*.test_mse", "terrain.curve.xs10.nn_test_mse", false},
		{"terrain.*.test_mse", "terrain..test_mse", true},
		{"*", "anything.at.all", true},
		{"digits.?", "digits.x", true},
		{"digits.?", "digits.xy", false},
		{"a+b.c", "a+b.c", true},
		{"a+b.c", "aab.c", false},
		{"a.b", "axb", false}, // dots are literal
		{"a.b", "a.b", true},
	} {
		r, err := ParseMetricRule(c.glob + " < 0")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Matches(c.name); got != c.want {
			t.Errorf("%q matches %q = %v, want %v", c.glob, c.name, got, c.want)
		}
	}
}

func TestMetricRuleViolated(t *testing.T) {
	for _, c := range []struct {
		rule string
		a, b float64
		want bool
	}{
		{"m < -0.005", 0.95, 0.94, true},
		{"m < -0.005", 0.95, 0.946, false},
		{"m < -0.005", 0.95, 0.945, false}, // -0.005 is not < -0.005, despite rounding
		{"m <= -0.01", 0.95, 0.94, true},   // 0.94-0.95 = -0.0099999... is -0.01
		{"m >= +0.01", 0.94, 0.95, true},
		{"m > +0.01", 0.94, 0.95, false},
		{"m <= -0.01", 1, 0.99, true},
		{"m > +5%", 1, 1.06, true},
		{"m > +5%", 1, 1.04, false},
		{"m > +5%", -2, -1.8, true}, // (B-A)/|A| = +10%
		{"m > +5%", -2, -2.2, false},
		{"m >= 0%", 3, 3, true},
		{"m > +5%", 0, 0.001, true},  // from 0: +Inf
		{"m < -5%", 0, -0.001, true}, // from 0: -Inf
		{"m > 0%", 0, 0, false},
		{"m >= 0%", 0, 0, true},
		{"m > 0", 0, 0.5, true},
	} {
		r, err := ParseMetricRule(c.rule)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Violated(c.a, c.b); got != c.want {
			t.Errorf("%q on %v -> %v: violated = %v, want %v", c.rule, c.a, c.b, got, c.want)
		}
	}
}

// Noise rules: VALUE in standard deviations (-2sd), and NAME_GLOB
// significant.
func TestParseMetricRuleNoise(t *testing.T) {
	for _, c := range []struct {
		expr, glob, op, canon string
		value                 float64
		sd, significant       bool
	}{
		{"digits.*.test_accuracy < -2sd", "digits.*.test_accuracy", "<", "digits.*.test_accuracy < -2sd", -2, true, false},
		{"x>=+1.5sd", "x", ">=", "x>=+1.5sd", 1.5, true, false},
		{"* significant", "*", "", "* significant", 0, false, true},
		{"  terrain.*.test_mse \t significant ", "terrain.*.test_mse", "", "terrain.*.test_mse significant", 0, false, true},
		{"a.significant < 1", "a.significant", "<", "a.significant < 1", 1, false, false},
	} {
		r, err := ParseMetricRule(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if r.Glob != c.glob || r.Op != c.op || r.Value != c.value || r.SD != c.sd || r.Significant != c.significant || r.Relative || r.Expr != c.canon {
			t.Errorf("%q: got %+v", c.expr, r)
		}
	}
	for _, c := range []struct{ expr, want string }{
		{"significant", "no metric name before significant"},
		{"*significant", "no space between"},
		{"a b significant", "holds a space"},
		{"a < significant", `value "significant"`},
		{"a < -2 sd", `value "-2 sd"`},
		{"a < sd", `value "sd"`},
		{"a < -2sd%", `value "-2sd%"`},
		{"a < -2%sd", `value "-2%sd"`},
		{"a significantly", "no comparison"},
	} {
		_, err := ParseMetricRule(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "significant (a paired t test") {
			t.Errorf("%q: error %v, want one containing %q and the syntax", c.expr, err, c.want)
		}
	}
}

// The paired t test's p values at the textbook critical values of
// Student's t (two-sided, 5%).
func TestPairedTTest(t *testing.T) {
	for _, c := range []struct{ t, df, p float64 }{
		{12.7062, 1, 0.05},
		{4.3027, 2, 0.05},
		{2.7764, 4, 0.05},
		{2.2281, 10, 0.05},
		{1.95996, 1e7, 0.05},
		{0, 3, 1},
		{63.657, 1, 0.01},
	} {
		if got := studentTwoSided(c.t, c.df); math.Abs(got-c.p) > 2e-4*math.Max(1, c.p*10) {
			t.Errorf("P(|T_%g| >= %g) = %v, want %v", c.df, c.t, got, c.p)
		}
	}
	a := []float64{1, 2, 3, 4}
	b := []float64{1.5, 2.4, 3.7, 4.2} // d = .5 .4 .7 .2: t = 4.3235, 3 df
	if p := pairedTTest(a, b); math.Abs(p-0.02288) > 2e-4 {
		t.Errorf("paired p = %v, want 0.0229", p)
	}
	if p := pairedTTest(a, []float64{2, 3, 4, 5}); p != 0.125 {
		t.Errorf("a constant shift over 4 seeds: p = %v, want the sign test's 0.125", p)
	}
	if p := pairedTTest([]float64{1, 1, 1, 1, 1, 1}, []float64{0, 0, 0, 0, 0, 0}); math.Abs(p-0.03125) > 1e-15 {
		t.Errorf("a constant shift over 6 seeds: p = %v, want 0.03125", p)
	}
	if p := pairedTTest(a, a); p != 1 {
		t.Errorf("no change: p = %v, want 1", p)
	}
}

// A diff with spreads: each moved metric is within or beyond its noise,
// the sd rules and the significance rule judge by it, and rules that need
// a spread match only metrics that have one.
func TestDiffCheckNoise(t *testing.T) {
	seeds := func(m map[string]float64, name string, xs ...float64) {
		var mean float64
		for _, x := range xs {
			mean += x
		}
		mean /= float64(len(xs))
		var ss float64
		for _, x := range xs {
			ss += (x - mean) * (x - mean)
		}
		m[name] = mean
		m[name+".sd"] = math.Sqrt(ss / float64(len(xs)-1))
		PutSeedValues(m, name, xs)
	}
	ma, mb := map[string]float64{"lin.mse": 1}, map[string]float64{"lin.mse": 1.1}
	seeds(ma, "nn.acc", 0.90, 0.92, 0.91)
	seeds(mb, "nn.acc", 0.905, 0.915, 0.912) // mean +0.004, sd 0.01: within noise
	seeds(ma, "lr.acc", 0.91, 0.915, 0.918)
	seeds(mb, "lr.acc", 0.47, 0.48, 0.475) // beyond noise, and significant
	la, lb := lockWith(ma), lockWith(mb)
	d := DiffLocks(la, lb)
	verdict := map[string]string{}
	for _, m := range d.Metrics {
		if m.Noise != nil {
			verdict[m.Name] = m.Noise.Verdict
		}
		if IsSeedValue(m.Name) {
			t.Errorf("a per-seed value is listed as a metric: %s", m.Name)
		}
	}
	if verdict["nn.acc"] != "within" || verdict["lr.acc"] != "beyond" || verdict["lin.mse"] != "" {
		t.Errorf("verdicts %v, want nn.acc within, lr.acc beyond, lin.mse none", verdict)
	}
	rule := func(s string) MetricRule {
		r, err := ParseMetricRule(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	v, unmatched := d.Check([]MetricRule{rule("*.acc < -2sd"), rule("* significant"), rule("lin.* < -1sd")})
	if len(unmatched) != 1 || unmatched[0] != "lin.* < -1sd" {
		t.Errorf("unmatched %v, want the sd rule on a metric without a spread", unmatched)
	}
	var got []string
	for _, x := range v {
		got = append(got, x.Rule+" "+x.Metric)
	}
	if want := "*.acc < -2sd lr.acc|* significant lr.acc"; strings.Join(got, "|") != want {
		t.Errorf("violations %q, want %q", strings.Join(got, "|"), want)
	}
	if len(v) == 2 && (!strings.Contains(v[0].String(), " sd") || !strings.Contains(v[1].String(), "paired t test over 3 seeds: p = ")) {
		t.Errorf("violations do not say what they measured: %s; %s", v[0], v[1])
	}
}

func lockWith(m map[string]float64) *Lock {
	h := HashBytes([]byte("x"))
	return &Lock{Version: 1, Stages: map[string]*LockStage{"s": {Key: h, Outputs: map[string]string{"value": h}, Metrics: m}}}
}
