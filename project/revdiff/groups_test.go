package revdiff

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

// A parameter change upstream of a grid, as text: the summary, rules and
// metrics first, then the stages grouped by shared reasons.
func TestDiffGrouped(t *testing.T) {
	d := &pipeline.LockDiff{
		A:     pipeline.LockDiffSide{Label: "HEAD~1 (4a41744)", Profile: "quick"},
		B:     pipeline.LockDiffSide{Label: "HEAD (185583b)", Profile: "quick"},
		Added: []string{"linear/sgd/lr=0.3/seed=1"},
		Metrics: []pipeline.MetricChange{
			{Name: "terrain.sgd.test_mse", A: f64(0.25), B: f64(0.2), Change: f64(-0.05), Relative: f64(-0.2)},
			{Name: "terrain.sgd.best_lr", A: f64(0.1), B: f64(0.3), Change: f64(0.2), Relative: f64(2)},
		},
		Unchanged: 40,
		Figures:   []pipeline.FigureChange{{Stage: "figures/sgd", Output: "figure.svg", A: "aa", B: "bb"}},
		Rules:     []string{"terrain.*.test_mse > +5%"},
	}
	for i := range 7 {
		d.Changed = append(d.Changed, pipeline.StageChange{Stage: fmt.Sprintf("linear/sgd/lr=0.0%d/seed=1", i+1), Reasons: []string{"params: train.epochs 15 -> 30"}})
	}
	d.Changed = append(d.Changed,
		pipeline.StageChange{Stage: "terrain/design", Reasons: []string{"code: terrain.Design"}},
		pipeline.StageChange{Stage: "linear/sgd/summary", Reasons: []string{"inputs: linear/sgd/lr=0.01/seed=1, and 6 more changed"}},
		pipeline.StageChange{Stage: "figures/sgd", Reasons: []string{"inputs: linear/sgd/summary changed"}},
		pipeline.StageChange{Stage: "report", Reasons: []string{"inputs: figures/sgd, linear/sgd/summary changed"}},
	)
	for _, verbose := range []bool{false, true} {
		out := TextGrouped(d, verbose)
		golden(t, fmt.Sprintf("diff-verbose=%v.golden", verbose), []byte(out))
	}
	// Many groups: the first twelve, then a count.
	d2 := &pipeline.LockDiff{}
	for i := range 20 {
		d2.Changed = append(d2.Changed, pipeline.StageChange{Stage: fmt.Sprintf("s%d", i), Reasons: []string{fmt.Sprintf("params: k%d 1 -> 2", i)}})
	}
	var b bytes.Buffer
	printGroups(&b, groups(d2, false), false)
	if !strings.HasSuffix(b.String(), "and 8 more groups of 8 stages (-v lists them)\n") {
		t.Errorf("20 groups:\n%s", b.String())
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s--- want\n%s", p, got, want)
	}
}
