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
