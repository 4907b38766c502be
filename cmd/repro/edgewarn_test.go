package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// Grid-edge findings are notes, counted on one line unless -v; the
// report's other warnings stay warnings (issue 27, item 4).
func TestEdgeFindingsAreNotes(t *testing.T) {
	e := stages.Edges{What: "ReLU terrain network",
		Axes:   []stages.AxisEdge{{Axis: "learning rate", Values: []string{"0.3", "1"}, Best: 1, High: true, Reason: "a larger rate diverges"}},
		Budget: &stages.EpochBudget{Epochs: 100, BestEpochs: []int{99, 98, 100}, Late: true}}
	found := e.Warnings()
	if len(found) != 2 {
		t.Fatalf("Edges.Warnings() = %q, want 2", found)
	}
	for _, f := range found {
		if !isEdgeNote(f) {
			t.Errorf("isEdgeNote(%q) = false: a grid-edge finding would print as a warning", f)
		}
	}
	for _, w := range []string{"KaTeX not found: the mathematics shows as TeX source", "figure nn-terrain-heat: no data"} {
		if isEdgeNote(w) {
			t.Errorf("isEdgeNote(%q) = true", w)
		}
	}

	st, err := pipeline.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"Warnings": append([]string{"report: KaTeX not available"}, found...)})
	h, err := st.Put(b)
	if err != nil {
		t.Fatal(err)
	}
	rec := &pipeline.Record{Stage: "report", Outputs: map[string]string{"value": h}}
	p := &project{store: st}
	var out bytes.Buffer
	for _, tc := range []struct{ rendered, verbose, quiet bool }{{true, false, false}, {false, false, false}, {true, true, false}, {true, false, true}} {
		fmt.Fprintf(&out, "$ rendered=%v verbose=%v quiet=%v\n", tc.rendered, tc.verbose, tc.quiet)
		reportMessages(&out, p, rec, tc.rendered, tc.verbose, tc.quiet)
	}
	golden(t, "report-notes.golden", out.Bytes())
	if strings.Contains(out.String(), "warning: ReLU") {
		t.Errorf("a grid-edge finding printed as a warning:\n%s", out.String())
	}
	if got := reportLine(found[0]); !strings.HasPrefix(got, "repro: report: note: ") {
		t.Errorf("reportLine(%q) = %q, want a note", found[0], got)
	}
}
