package project

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// The report's warnings: each one when the report was rendered in this run
// (or with -v), else one line counting them; none, nothing.
func TestReportWarnings(t *testing.T) {
	st, err := pipeline.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rec := func(value string) *pipeline.Record {
		h, err := st.Put([]byte(value))
		if err != nil {
			t.Fatal(err)
		}
		return &pipeline.Record{Stage: "report", Outputs: map[string]string{"value": h}}
	}
	two := rec(`{"Warnings": ["report: KaTeX not available", "an optimum on the edge"]}`)
	one := rec(`{"Warnings": ["an optimum on the edge"]}`)
	none := rec(`{"Warnings": null}`)
	for _, tc := range []struct {
		name              string
		rec               *pipeline.Record
		rendered, verbose bool
		want              string
	}{
		{"rendered", two, true, false, "repro: report: warning: KaTeX not available\nrepro: report: warning: an optimum on the edge\n"},
		{"cached, verbose", two, false, true, "repro: report: warning: KaTeX not available\nrepro: report: warning: an optimum on the edge\n"},
		{"cached", two, false, false, "repro: report: 2 warnings, as when the report was rendered (repro run -v prints them)\n"},
		{"cached, one", one, false, false, "repro: report: 1 warning, as when the report was rendered (repro run -v prints it)\n"},
		{"none", none, true, true, ""},
		{"no record", nil, true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			reportMessages(&b, stages.StoredWarnings(st, tc.rec), tc.rendered, tc.verbose, false)
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

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
	var out bytes.Buffer
	for _, tc := range []struct{ rendered, verbose, quiet bool }{{true, false, false}, {false, false, false}, {true, true, false}, {true, false, true}} {
		fmt.Fprintf(&out, "$ rendered=%v verbose=%v quiet=%v\n", tc.rendered, tc.verbose, tc.quiet)
		reportMessages(&out, stages.StoredWarnings(st, rec), tc.rendered, tc.verbose, tc.quiet)
	}
	if out.String() != reportNotes {
		t.Errorf("got\n%s\nwant\n%s", out.String(), reportNotes)
	}
	if strings.Contains(out.String(), "warning: ReLU") {
		t.Errorf("a grid-edge finding printed as a warning:\n%s", out.String())
	}
}

// reportNotes is what TestEdgeFindingsAreNotes prints.
const reportNotes = `$ rendered=true verbose=false quiet=false
repro: report: warning: KaTeX not available
repro: note: 2 findings on grid edges or epoch budgets, discussed in the report (repro run -v prints them)
$ rendered=false verbose=false quiet=false
repro: report: 1 warning, as when the report was rendered (repro run -v prints it)
repro: note: 2 findings on grid edges or epoch budgets, discussed in the report (repro run -v prints them)
$ rendered=true verbose=true quiet=false
repro: report: warning: KaTeX not available
repro: report: note: ReLU terrain network: the chosen learning rate, 1, is the largest tried (0.3, 1): a larger rate diverges
repro: report: note: ReLU terrain network: the best validation error comes at epoch 99 (median over seeds) of a budget of 100: it may still be improving
$ rendered=true verbose=false quiet=true
repro: report: warning: KaTeX not available
`
