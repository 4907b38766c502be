package stages

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// An AxisEdge says where the chosen cell of a tuning grid lies along one
// axis (learning rate, architecture, penalty, ...), after any refinement.
// A chosen value on the first or last value of its axis is "on the edge":
// the optimum may lie beyond what was tried. Bound marks an edge that is a
// natural end of the axis (a mini-batch of one, a penalty of zero), beyond
// which nothing can be tried; Reason, when set, says why an edge is
// acceptable or why the search stopped there.
type AxisEdge struct {
	Axis     string   // "learning rate", "architecture", "λ", ...
	Values   []string // the values tried, in axis order (refinement included)
	Best     int      // index of the chosen value in Values
	Low      bool     // the chosen value is the first of Values
	High     bool     // the chosen value is the last of Values
	Bound    bool     // that edge is a natural end of the axis
	Reason   string   // why an edge stays (or how it was resolved), for the report
	Resolved string   // how the refinement bracketed the optimum, if it did
}

// OnEdge reports whether the chosen value is on an edge that is not a
// natural end of the axis.
func (a AxisEdge) OnEdge() bool { return (a.Low || a.High) && !a.Bound }

// Side names the edge: "smallest" or "largest".
func (a AxisEdge) Side() string {
	switch {
	case a.Low && a.High:
		return "only"
	case a.Low:
		return "smallest"
	case a.High:
		return "largest"
	}
	return ""
}

// Chosen is the chosen value.
func (a AxisEdge) Chosen() string {
	if a.Best < 0 || a.Best >= len(a.Values) {
		return ""
	}
	return a.Values[a.Best]
}

// EpochBudget says whether a chosen configuration was still improving when
// its epoch budget ran out: Late when the median over seeds of the epoch of
// the best validation error falls in the last tenth of the budget.
type EpochBudget struct {
	Epochs     int   // the budget
	BestEpochs []int // per seed
	LateSeeds  int   // seeds whose best epoch is in the last tenth
	Late       bool  // the median best epoch is in the last tenth
	Reason     string
}

// Median is the median best epoch over seeds.
func (b EpochBudget) Median() float64 {
	if len(b.BestEpochs) == 0 {
		return 0
	}
	xs := slices.Clone(b.BestEpochs)
	sort.Ints(xs)
	n := len(xs)
	if n%2 == 1 {
		return float64(xs[n/2])
	}
	return float64(xs[n/2-1]+xs[n/2]) / 2
}

// LateFraction is the share of the budget after which an epoch counts as
// late.
const LateFraction = 0.9

// budgetOf checks the best epochs of the runs of a chosen cell against
// their budget.
func budgetOf(epochs int, best []int) EpochBudget {
	b := EpochBudget{Epochs: epochs, BestEpochs: best}
	if epochs <= 0 || len(best) == 0 {
		return b
	}
	limit := LateFraction * float64(epochs)
	for _, e := range best {
		if float64(e) > limit {
			b.LateSeeds++
		}
	}
	b.Late = b.Median() > limit
	return b
}

// Edges are the edge checks of one tuning result.
type Edges struct {
	What   string     // the tuned thing, "ReLU terrain network"
	Axes   []AxisEdge // one per axis of more than one value
	Budget *EpochBudget
}

// Flagged reports whether anything calls for the reader's attention: an
// axis on an edge that is not a natural bound, or a late best epoch.
func (e Edges) Flagged() bool {
	for _, a := range e.Axes {
		if a.OnEdge() {
			return true
		}
	}
	return e.Budget != nil && e.Budget.Late
}

// Warnings are the run's warnings for e: one per axis on an edge and one for
// a late best epoch, each with its reason when there is one.
func (e Edges) Warnings() []string {
	var out []string
	for _, a := range e.Axes {
		if !a.OnEdge() {
			continue
		}
		w := fmt.Sprintf("%s: the chosen %s, %s, is the %s tried (%s)", e.What, a.Axis, a.Chosen(), a.Side(), strings.Join(a.Values, ", "))
		if a.Reason != "" {
			w += ": " + a.Reason
		}
		out = append(out, w)
	}
	if b := e.Budget; b != nil && b.Late {
		w := fmt.Sprintf("%s: the best validation error comes at epoch %s (median over seeds) of a budget of %d: it may still be improving", e.What, fmtNum(b.Median()), b.Epochs)
		if b.Reason != "" {
			w += " (" + b.Reason + ")"
		}
		out = append(out, w)
	}
	return out
}

// Note is the sentence the report prints beside the result: where the
// optimum lies on each axis and whether the epoch budget was enough.
func (e Edges) Note() string {
	var parts []string
	for _, a := range e.Axes {
		switch {
		case a.OnEdge():
			s := fmt.Sprintf("the chosen %s (%s) is the %s tried", a.Axis, a.Chosen(), a.Side())
			if a.Reason != "" {
				s += ": " + a.Reason
			}
			parts = append(parts, "**"+s+"**")
		case a.Low || a.High:
			s := fmt.Sprintf("the chosen %s (%s) is the %s tried, next to the axis's natural end", a.Axis, a.Chosen(), a.Side())
			if a.Reason != "" {
				s += ": " + a.Reason
			}
			parts = append(parts, s)
		case a.Resolved != "":
			parts = append(parts, fmt.Sprintf("the %s was bracketed by refinement (%s)", a.Axis, a.Resolved))
		}
	}
	if b := e.Budget; b != nil && b.Epochs > 0 && len(b.BestEpochs) > 0 {
		if b.Late {
			s := fmt.Sprintf("the best epoch (median %s of %d) is in the last tenth of the budget", fmtNum(b.Median()), b.Epochs)
			if b.Reason != "" {
				s += ": " + b.Reason
			}
			parts = append(parts, "**"+s+"**")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return upperFirst(strings.Join(parts, "; ")) + "."
}

// Interior lists, for the report, where the optimum landed on each axis:
// "learning rate 0.3 of 0.03–1 (interior)".
func (e Edges) Where() string {
	var parts []string
	for _, a := range e.Axes {
		pos := "interior"
		switch {
		case a.OnEdge():
			pos = "on the " + a.Side() + " edge"
		case a.Low || a.High:
			pos = "at the natural " + a.Side() + " value"
		}
		parts = append(parts, fmt.Sprintf("%s %s of [%s] (%s)", a.Axis, a.Chosen(), strings.Join(a.Values, ", "), pos))
	}
	if b := e.Budget; b != nil && b.Epochs > 0 && len(b.BestEpochs) > 0 {
		parts = append(parts, fmt.Sprintf("best epoch %s of %d", fmtNum(b.Median()), b.Epochs))
	}
	return strings.Join(parts, "; ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '*' && len(s) > 2 {
		return "**" + upperFirst(s[2:])
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// lowerFirst is s with its first letter in lower case (after any "**").
func lowerFirst(s string) string {
	if strings.HasPrefix(s, "**") {
		return "**" + lowerFirst(s[2:])
	}
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func fmtNum(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// axisEdge locates index best among n values.
func axisEdge(axis string, values []string, best int) AxisEdge {
	a := AxisEdge{Axis: axis, Values: values, Best: best}
	if len(values) > 1 {
		a.Low = best == 0
		a.High = best == len(values)-1
	}
	return a
}

// nextRate returns the learning rate one grid step beyond the edge of the
// sorted rates lrs (up for high, down otherwise): the ratio of the last (or
// first) two values, or a factor of 3 for a single value.
func nextRate(lrs []float64, high bool) float64 {
	s := slices.Clone(lrs)
	sort.Float64s(s)
	ratio := 3.0
	if n := len(s); n >= 2 {
		if high {
			ratio = s[n-1] / s[n-2]
		} else {
			ratio = s[1] / s[0]
		}
	}
	if !(ratio > 1) || math.IsInf(ratio, 0) {
		ratio = 3
	}
	v := s[0] / ratio
	if high {
		v = s[len(s)-1] * ratio
	}
	// Round to 3 significant digits so that names and keys stay tidy.
	return roundSig(v, 3)
}

func roundSig(v float64, sig int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, float64(sig-1)-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// lrLabels formats learning rates for axis values.
func lrLabels(lrs []float64) []string {
	out := make([]string, len(lrs))
	for i, l := range lrs {
		out[i] = num(l)
	}
	return out
}
