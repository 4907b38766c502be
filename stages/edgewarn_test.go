package stages

import "testing"

// A grid-edge finding, in the words of Edges.Warnings, is a note; the
// report's other warnings are not (issue 27, item 4).
func TestIsEdgeNote(t *testing.T) {
	e := Edges{What: "ReLU terrain network",
		Axes:   []AxisEdge{{Axis: "learning rate", Values: []string{"0.3", "1"}, Best: 1, High: true, Reason: "a larger rate diverges"}},
		Budget: &EpochBudget{Epochs: 100, BestEpochs: []int{99, 98, 100}, Late: true}}
	found := e.Warnings()
	if len(found) != 2 {
		t.Fatalf("Edges.Warnings() = %q, want 2", found)
	}
	for _, f := range found {
		if !IsEdgeNote(f) {
			t.Errorf("IsEdgeNote(%q) = false: a grid-edge finding would print as a warning", f)
		}
	}
	for _, w := range []string{"KaTeX not found: the mathematics shows as TeX source", "figure nn-terrain-heat: no data"} {
		if IsEdgeNote(w) {
			t.Errorf("IsEdgeNote(%q) = true", w)
		}
	}
}
