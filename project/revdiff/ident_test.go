package revdiff

import (
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

// A model edit that reorders floating-point work moves metrics by about
// 1e-16 relative: those are numerically identical, counted as unchanged
// with one note, not listed as changed (issue 27, item 5).
func TestNumericallyIdenticalMetrics(t *testing.T) {
	change := func(name string, a, b float64) pipeline.MetricChange {
		c, r := b-a, (b-a)/a
		return pipeline.MetricChange{Name: name, A: &a, B: &b, Change: &c, Relative: &r}
	}
	d := &pipeline.LockDiff{Unchanged: 10, Metrics: []pipeline.MetricChange{
		change("terrain.nn.sigmoid.test_mse", 0.0123, 0.0150),
		change("terrain.ols.test_mse", 0.25, 0.25*(1+3.88e-15)),
		change("terrain.ridge.test_r2", 0.8, 0.8+1e-18),
		change("digits.logistic.test_accuracy", 0.9, 0.9*(1-5e-10)),
		change("digits.nn.test_accuracy", 0.9, 0.9*(1-2e-9)),
		{Name: "new.metric", B: f64(1)},
	}}
	got := NumericallyIdentical(d)
	var names []string
	for _, m := range got.Metrics {
		names = append(names, m.Name)
	}
	if want := "terrain.nn.sigmoid.test_mse,digits.nn.test_accuracy,new.metric"; strings.Join(names, ",") != want {
		t.Errorf("changed metrics %s, want %s", strings.Join(names, ","), want)
	}
	if got.Unchanged != 13 {
		t.Errorf("unchanged %d, want 13", got.Unchanged)
	}
	wantNote := "3 metrics differ by less than a relative 1e-09: numerically identical, counted as unchanged (terrain.ols.test_mse, terrain.ridge.test_r2, digits.logistic.test_accuracy)"
	if len(got.Notes) != 1 || got.Notes[0] != wantNote {
		t.Errorf("notes %q, want %q", got.Notes, wantNote)
	}
	if len(d.Metrics) != 6 || d.Unchanged != 10 || len(d.Notes) != 0 {
		t.Errorf("the diff passed in was modified")
	}
	if NumericallyIdentical(got) != got {
		t.Errorf("a diff without such metrics is not returned as is")
	}
	// In the text form: the note, and the tiny changes in no row.
	text := Text(got)
	if !strings.Contains(text, "note: "+wantNote) || strings.Contains(text, "terrain.ols.test_mse  ") {
		t.Errorf("text form:\n%s", text)
	}
}

func f64(v float64) *float64 { return &v }
