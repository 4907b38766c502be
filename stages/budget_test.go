package stages

import (
	"math"
	"strings"
	"testing"
)

func TestTailGain(t *testing.T) {
	for _, c := range []struct {
		val  []float64
		want float64
		ok   bool
	}{
		// Epochs 0..8: the first three quarters end at epoch 6.
		{[]float64{4, 3, 2, 2, 2, 2, 2, 2, 2}, 0, true},           // flat at the end
		{[]float64{4, 3, 2, 2, 2, 2, 2, 1.9, 1.5}, 0.25, true},    // still falling
		{[]float64{4, 3, 2, 1, 1.5, 1.5, 1.5, 1.5, 1.5}, 0, true}, // best early, worse later
		{[]float64{4, 2}, 0, false},                               // too short to split
	} {
		g, ok := tailGain(c.val)
		if ok != c.ok || math.Abs(g-c.want) > 1e-12 {
			t.Errorf("tailGain(%v) = %g, %v; want %g, %v", c.val, g, ok, c.want, c.ok)
		}
	}
}

// The budget sentence follows the measured gains: still improving, levelled
// off, or (results without gains) the best epoch's place.
func TestCurveBudget(t *testing.T) {
	d := &reportData{Curve: []CurvePoint{
		{NTrain: 360, Epochs: 2000, NetTailGain: []float64{0.001, 0.002, 0.003}},
		{NTrain: 5520, Epochs: 131, NetTailGain: []float64{0.03, 0.05, 0.04}},
	}}
	s := d.curveBudget()
	for _, want := range []string{"by a median of 4.0\u00a0% at 5520 points", "not at convergence", "At 360 points it lowered it by less than 0.5\u00a0%: those networks had levelled off"} {
		if !strings.Contains(s, want) {
			t.Errorf("curveBudget: %q lacks %q", s, want)
		}
	}
	d.Curve[1].NetTailGain = []float64{0.001, 0.001, 0.001}
	if s := d.curveBudget(); strings.Contains(s, "still improving") || !strings.Contains(s, "At 360 and 5520 points") {
		t.Errorf("every size levelled off: %q", s)
	}
	d.Curve = []CurvePoint{{NTrain: 360, Epochs: 100, NetBestEpoch: []int{99, 98, 100}}}
	if s := d.curveBudget(); !strings.Contains(s, "best epoch falls in the last tenth") {
		t.Errorf("without gains: %q", s)
	}
}

// The design paragraph and every sentence on the curve's budget follow the
// points' steps: the same at every size, or growing with the data.
func TestStepsPhrase(t *testing.T) {
	same := []CurvePoint{{Steps: 36000}, {Steps: 36000}}
	grow := []CurvePoint{{Steps: 36000}, {Steps: 72000}, {Steps: 144000}}
	if s := stepsPhrase(same); s != "the same 36,000 optimisation steps at every size" {
		t.Errorf("same: %q", s)
	}
	if s := stepsPhrase(grow); s != "36,000, 72,000 and 144,000 optimisation steps at the successive sizes" {
		t.Errorf("growing: %q", s)
	}
	d := &reportData{Curve: same}
	if s := d.CurveDesign(); !strings.Contains(s, "same number of optimisation steps") || strings.Contains(s, "grows with the data") {
		t.Errorf("design, same steps: %q", s)
	}
	d.Curve = grow
	if s := d.CurveDesign(); strings.Contains(s, "same number of optimisation steps") || !strings.Contains(s, "grows with the data (36,000, 72,000 and 144,000") {
		t.Errorf("design, growing budgets: %q", s)
	}
}
