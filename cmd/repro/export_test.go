package main

import (
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
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
	p := &project{store: st}
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
			reportWarnings(&b, p, tc.rec, tc.rendered, tc.verbose)
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
