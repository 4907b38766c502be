package pipeline

// The rule language of `repro diff --fail-on`: a rule such as
// "terrain.*.test_mse > 5%" names metrics by a glob and bounds how much they
// may change between two locks.

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// A MetricRule fails a diff when the change of a matching metric, B - A, satisfies
// it. Written NAME_GLOB OP VALUE, e.g. "digits.nn.best.test_accuracy < -0.005"
// (an absolute change), "terrain.*.test_mse > +5%" (a relative change,
// (B - A) / |A|) or "digits.*.test_accuracy < -2sd" (a change in units of
// the metric's seed-to-seed standard deviation, pooled over A and B: see
// Noise). OP is <, <=, > or >=. Or written NAME_GLOB significant: the
// per-seed values of A and B differ by Student's paired t test, two-sided,
// at level SignificanceLevel (5%). In NAME_GLOB, * matches any run of
// characters, dots included, and ? any one character; everything else is
// literal. A relative change from A = 0 counts as +Inf or -Inf (0 if B is 0
// too). Metrics that only one side has are not checked, nor, by an sd rule,
// metrics with no recorded spread, nor, by a significance rule, metrics
// without per-seed values on both sides.
type MetricRule struct {
	Expr     string  `json:"rule"`
	Glob     string  `json:"glob"`
	Op       string  `json:"op"`
	Value    float64 `json:"value"` // a fraction (0.05 for 5%) when Relative; standard deviations when SD
	Relative bool    `json:"relative"`
	SD       bool    `json:"sd,omitempty"`
	// Significant: the rule is NAME_GLOB significant (Op and Value unused).
	Significant bool `json:"significant,omitempty"`
	re          *regexp.Regexp
}

// MetricRuleSyntax says what a rule looks like, for error messages.
const MetricRuleSyntax = "want NAME_GLOB OP VALUE, e.g. 'digits.nn.best.test_accuracy < -0.005' (an absolute change B - A), 'terrain.*.test_mse > +5%' (a relative change) or 'digits.*.test_accuracy < -2sd' (in seed-to-seed standard deviations), with OP one of < <= > >= and * in NAME_GLOB matching any characters; or NAME_GLOB significant (a paired t test over seeds at 5%), e.g. '* significant'"

// ParseMetricRule parses a rule; see MetricRule.
func ParseMetricRule(expr string) (MetricRule, error) {
	r := MetricRule{Expr: strings.TrimSpace(expr)}
	if glob, ok := strings.CutSuffix(r.Expr, "significant"); ok && !strings.ContainsAny(glob, "<>=!") {
		name := strings.TrimSpace(glob)
		switch {
		case name == "":
			return r, fmt.Errorf("%q: no metric name before significant; %s", expr, MetricRuleSyntax)
		case name == glob:
			return r, fmt.Errorf("%q: no space between the metric name and significant; %s", expr, MetricRuleSyntax)
		case strings.ContainsAny(name, " \t\n\r"):
			return r, fmt.Errorf("%q: metric name %q holds a space; %s", expr, name, MetricRuleSyntax)
		}
		r.Glob, r.Significant = name, true
		r.Expr = name + " significant"
		r.re = ruleGlob(r.Glob)
		return r, nil
	}
	i := strings.IndexAny(r.Expr, "<>=!")
	if i < 0 {
		return r, fmt.Errorf("%q: no comparison operator; %s", expr, MetricRuleSyntax)
	}
	r.Glob = strings.TrimSpace(r.Expr[:i])
	rest := r.Expr[i:]
	switch {
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		r.Op, rest = rest[:2], rest[2:]
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, ">"):
		r.Op, rest = rest[:1], rest[1:]
	default:
		op := rest[:1]
		if len(rest) > 1 && strings.ContainsAny(rest[1:2], "<>=") {
			op = rest[:2]
		}
		return r, fmt.Errorf("%q: comparison %q is not one of < <= > >=; %s", expr, op, MetricRuleSyntax)
	}
	if r.Glob == "" {
		return r, fmt.Errorf("%q: no metric name before %s; %s", expr, r.Op, MetricRuleSyntax)
	}
	if strings.ContainsAny(r.Glob, " \t\n\r") {
		return r, fmt.Errorf("%q: metric name %q holds a space; %s", expr, r.Glob, MetricRuleSyntax)
	}
	v := strings.TrimSpace(rest)
	num := v
	switch {
	case strings.HasSuffix(v, "%"):
		num, r.Relative = strings.TrimSuffix(v, "%"), true
	case strings.HasSuffix(v, "sd"):
		num, r.SD = strings.TrimSuffix(v, "sd"), true
	}
	f, err := strconv.ParseFloat(num, 64)
	if v == "" || err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(num, " \t%sd") {
		return r, fmt.Errorf("%q: value %q is neither a number (an absolute change, e.g. -0.005), a percentage (a relative change, e.g. +5%%) nor a number of standard deviations (e.g. -2sd); %s", expr, v, MetricRuleSyntax)
	}
	if r.Relative {
		f /= 100
	}
	r.Value = f
	r.re = ruleGlob(r.Glob)
	return r, nil
}

func ruleGlob(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range glob {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Matches reports whether the rule's glob matches a metric name.
func (r MetricRule) Matches(name string) bool {
	if r.re == nil {
		r.re = ruleGlob(r.Glob)
	}
	return r.re.MatchString(name)
}

// Violated reports whether the change from a to b satisfies the rule.
func (r MetricRule) Violated(a, b float64) bool {
	x := b - a
	if r.Relative {
		switch {
		case a != 0:
			x = (b - a) / math.Abs(a)
		case b > 0:
			x = math.Inf(1)
		case b < 0:
			x = math.Inf(-1)
		default:
			x = 0
		}
	}
	// Values equal up to rounding count as equal, so that 0.945 - 0.95 is
	// -0.005 as written, not -0.0050000000000000044.
	eps := 1e-12 * math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	switch r.Op {
	case "<":
		return x < r.Value-eps
	case "<=":
		return x <= r.Value+eps
	case ">":
		return x > r.Value+eps
	case ">=":
		return x >= r.Value-eps
	}
	return false
}

// ViolatedNoise judges the change from a to b of a metric with spread n:
// applicable is false when the rule needs what the metric does not record
// (an sd rule and no standard deviation; a significance rule and no
// per-seed values on both sides). Other rules are Violated.
func (r MetricRule) ViolatedNoise(a, b float64, n Noise) (violated, applicable bool) {
	switch {
	case r.Significant:
		if n.P == nil {
			return false, false
		}
		return *n.P < SignificanceLevel, true
	case r.SD:
		if n.SDs == nil {
			return false, false
		}
		x := *n.SDs
		eps := 1e-9 * math.Max(1, math.Abs(r.Value))
		switch r.Op {
		case "<":
			return x < r.Value-eps, true
		case "<=":
			return x <= r.Value+eps, true
		case ">":
			return x > r.Value+eps, true
		case ">=":
			return x >= r.Value-eps, true
		}
		return false, true
	}
	return r.Violated(a, b), true
}

// A RuleViolation is a metric whose change satisfies a rule.
type RuleViolation struct {
	Rule     string   `json:"rule"`
	Metric   string   `json:"metric"`
	A        float64  `json:"a"`
	B        float64  `json:"b"`
	Change   float64  `json:"change"`
	Relative *float64 `json:"relative"` // nil when A is 0
	// For an sd rule, the change in standard deviations; for a
	// significance rule, the p value and the number of seeds.
	SDs   *float64 `json:"sds,omitempty"`
	P     *float64 `json:"p,omitempty"`
	Seeds int      `json:"seeds,omitempty"`
}

func (v RuleViolation) String() string {
	s := fmt.Sprintf("%s: %s changed %s (%s -> %s)", v.Rule, v.Metric, FormatChangeText(v.Change, v.Relative), FormatNumber(v.A), FormatNumber(v.B))
	return s + v.NoiseText()
}

// NoiseText is what a noise rule measured: ", -12.3 sd" or ", paired t
// test over 3 seeds: p = 0.004 < 0.05"; "" for other rules.
func (v RuleViolation) NoiseText() string {
	switch {
	case v.P != nil:
		return fmt.Sprintf(", paired t test over %d seeds: p = %s < %g", v.Seeds, FormatP(*v.P), SignificanceLevel)
	case v.SDs != nil:
		return ", " + FormatSDs(*v.SDs)
	}
	return ""
}

// FormatSDs formats a change in standard deviations: "-12.3 sd".
func FormatSDs(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+inf sd (no spread)"
	case math.IsInf(x, -1):
		return "-inf sd (no spread)"
	case x == 0:
		return "0 sd"
	}
	return fmt.Sprintf("%+.3g sd", x)
}

// FormatP formats a p value.
func FormatP(p float64) string {
	if p < 1e-4 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// Check applies the rules to every metric both locks hold, unchanged ones
// included, and records the rules and violations in the diff. It returns
// the violations and the rules that match no metric both sides hold (for
// an sd rule, with a spread; for a significance rule, with per-seed values
// on both sides).
func (d *LockDiff) Check(rules []MetricRule) (violations []RuleViolation, unmatched []string) {
	a, b := d.ma, d.mb
	d.Rules = nil
	for _, r := range rules {
		d.Rules = append(d.Rules, r.Expr)
		matched := false
		for _, name := range sortedKeys(a) {
			vb, ok := b[name]
			if !ok || !r.Matches(name) {
				continue
			}
			va := a[name]
			n := noiseOf(name, va, vb, a, b, d.sa, d.sb)
			bad, applicable := r.ViolatedNoise(va, vb, n)
			if !applicable {
				continue
			}
			matched = true
			if bad {
				v := RuleViolation{Rule: r.Expr, Metric: name, A: va, B: vb, Change: vb - va}
				if va != 0 {
					v.Relative = diffPtr((vb - va) / math.Abs(va))
				}
				switch {
				case r.Significant:
					v.P, v.Seeds = n.P, n.Seeds
				case r.SD:
					v.SDs = n.SDs
				}
				violations = append(violations, v)
			}
		}
		if !matched {
			unmatched = append(unmatched, r.Expr)
		}
	}
	d.Violations = violations
	return violations, unmatched
}

// ---- rendering ----

// FormatNumber formats a metric value (6 significant digits).
func FormatNumber(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// FormatChange formats a change B - A with its sign, or "-".
func FormatChange(v *float64) string {
	if v == nil {
		return "-"
	}
	if *v == 0 {
		return "0"
	}
	return fmt.Sprintf("%+.4g", *v)
}

// FormatRelative formats a relative change as a signed percentage, or
// "-" (or "n/a (A = 0)" when A is 0).
func FormatRelative(v *float64, a *float64) string {
	if v == nil {
		if a != nil && *a == 0 {
			return "n/a (A = 0)"
		}
		return "-"
	}
	return fmt.Sprintf("%+.3g%%", *v*100)
}

// FormatChangeText is a change with its relative change in parentheses.
func FormatChangeText(change float64, rel *float64) string {
	s := FormatChange(&change)
	if rel != nil {
		s += " (" + FormatRelative(rel, nil) + ")"
	}
	return s
}
