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
// (an absolute change) or "terrain.*.test_mse > +5%" (a relative change,
// (B - A) / |A|). OP is <, <=, > or >=. In NAME_GLOB, * matches any run of
// characters, dots included, and ? any one character; everything else is
// literal. A relative change from A = 0 counts as +Inf or -Inf (0 if B is 0
// too). Metrics that only one side has are not checked.
type MetricRule struct {
	Expr     string  `json:"rule"`
	Glob     string  `json:"glob"`
	Op       string  `json:"op"`
	Value    float64 `json:"value"` // a fraction (0.05 for 5%) when Relative
	Relative bool    `json:"relative"`
	re       *regexp.Regexp
}

// MetricRuleSyntax says what a rule looks like, for error messages.
const MetricRuleSyntax = "want NAME_GLOB OP VALUE, e.g. 'digits.nn.best.test_accuracy < -0.005' (an absolute change B - A) or 'terrain.*.test_mse > +5%' (a relative change), with OP one of < <= > >= and * in NAME_GLOB matching any characters"

// ParseMetricRule parses a rule; see MetricRule.
func ParseMetricRule(expr string) (MetricRule, error) {
	r := MetricRule{Expr: strings.TrimSpace(expr)}
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
	if strings.ContainsAny(r.Glob, " \t\n") {
		return r, fmt.Errorf("%q: metric name %q holds a space; %s", expr, r.Glob, MetricRuleSyntax)
	}
	v := strings.TrimSpace(rest)
	num := strings.TrimSuffix(v, "%")
	r.Relative = num != v
	f, err := strconv.ParseFloat(num, 64)
	if v == "" || err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(num, " \t%") {
		return r, fmt.Errorf("%q: value %q is neither a number (an absolute change, e.g. -0.005) nor a percentage (a relative change, e.g. +5%%); %s", expr, v, MetricRuleSyntax)
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

// A RuleViolation is a metric whose change satisfies a rule.
type RuleViolation struct {
	Rule     string   `json:"rule"`
	Metric   string   `json:"metric"`
	A        float64  `json:"a"`
	B        float64  `json:"b"`
	Change   float64  `json:"change"`
	Relative *float64 `json:"relative"` // nil when A is 0
}

func (v RuleViolation) String() string {
	return fmt.Sprintf("%s: %s changed %s (%s -> %s)", v.Rule, v.Metric, FormatChangeText(v.Change, v.Relative), FormatNumber(v.A), FormatNumber(v.B))
}

// Check applies the rules to every metric both locks hold, unchanged ones
// included, and records the rules and violations in the diff. It returns
// the violations and the rules that match no metric both sides hold.
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
			matched = true
			va := a[name]
			if r.Violated(va, vb) {
				v := RuleViolation{Rule: r.Expr, Metric: name, A: va, B: vb, Change: vb - va}
				if va != 0 {
					v.Relative = diffPtr((vb - va) / math.Abs(va))
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
