package revdiff

import (
	"fmt"
	"math"
	"strings"

	"github.com/repro-dev/repro/pipeline"
)

// identicalRelative is the relative change below which two values of a
// metric are numerically identical: floating-point reassociation (a
// change of evaluation order, another activation's code path) moves the
// last bits of a result, about 1e-16 relative, not its meaning.
const identicalRelative = 1e-9

// NumericallyIdentical returns d with the metrics whose values differ by
// less than a relative 1e-9 (|B - A| <= 1e-9 max(|A|, |B|)) taken out of
// the changed metrics and counted as unchanged, with a note that names
// them; d itself is not modified. A diff with none is returned as is.
func NumericallyIdentical(d *pipeline.LockDiff) *pipeline.LockDiff {
	var kept []pipeline.MetricChange
	var same []string
	for _, m := range d.Metrics {
		if isNumericallyIdentical(m) {
			same = append(same, m.Name)
			continue
		}
		kept = append(kept, m)
	}
	if len(same) == 0 {
		return d
	}
	c := *d
	c.Metrics = kept
	c.Unchanged += len(same)
	c.Notes = append(append([]string(nil), d.Notes...), identicalNote(same))
	return &c
}

// isNumericallyIdentical reports whether both sides hold the metric and
// its values differ by less than identicalRelative of the larger.
func isNumericallyIdentical(m pipeline.MetricChange) bool {
	if m.A == nil || m.B == nil {
		return false
	}
	a, b := *m.A, *m.B
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return false
	}
	return math.Abs(b-a) <= identicalRelative*math.Max(math.Abs(a), math.Abs(b))
}

// identicalNote names the numerically identical metrics (the first few).
func identicalNote(names []string) string {
	const shown = 3
	list := strings.Join(names, ", ")
	if len(names) > shown+1 {
		list = strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
	}
	what := fmt.Sprintf("%d metrics differ", len(names))
	if len(names) == 1 {
		what = "1 metric differs"
	}
	return fmt.Sprintf("%s by less than a relative %g: numerically identical, counted as unchanged (%s)", what, identicalRelative, list)
}
