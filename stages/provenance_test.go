package stages

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/report"
)

// provFixture is a reportData with a few results from named stages, and
// its provenance.
func provFixture(t *testing.T) (*reportData, *provenance) {
	t.Helper()
	in := ReportInput{
		Ridge: namedIn("linear/ridge", LinearFit{Model: "ridge", Lambda: 1e-4, TestMSE: 0.012345, TestR2: 0.8123}),
		Reg: []pipeline.In[RegTune]{
			namedIn("terrain/nn/relu", RegTune{Label: "relu", BestArch: "2x8x1", BestLR: 0.3, BestVal: 0.004567, BestSD: 0.000321, TestMSE: []float64{0.0051, 0.0049, 0.0050},
				Curves: []NetRun{{BestEpoch: 28, EpochsRun: 25}, {BestEpoch: 31, EpochsRun: 40}}}),
			namedIn("terrain/nn/sigmoid", RegTune{Label: "sigmoid", BestArch: "2x16x1", BestLR: 0.1, BestVal: 0.007891, BestSD: 0.000654, TestMSE: []float64{0.0081, 0.0079, 0.0083}}),
		},
		Published: pipeline.File{Path: PublishedFile, Data: []byte(`{"digits": {"keras": {"epochs": 20}}}`)},
	}
	d := &reportData{P: ReportParams{Seeds: 3, Profile: "test"}, Ridge: in.Ridge.Value, Reg: values(in.Reg), tables: map[string]report.Table{}, used: map[string]bool{}}
	if err := json.Unmarshal(in.Published.Data, &d.Pub); err != nil {
		t.Fatal(err)
	}
	return d, newProvenance(d, in)
}

// fill runs src as the report stage does: the typed-number check, then the
// template with every printing action marked.
func fill(t *testing.T, d *reportData, pv *provenance, src string) (string, error) {
	t.Helper()
	funcs := template.FuncMap{"mark": pv.mark, "pm": pm, "msd": msd, "table": d.table}
	for k, v := range report.FuncMap() {
		funcs[k] = v
	}
	tmpl, err := template.New(templateReport).Funcs(funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := pv.checkTypedNumbers([]byte(src), tmpl.Tree); err != nil {
		return "", err
	}
	pv.instrument(tmpl)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String(), nil
}

func TestTypedNumberFails(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // in the error; none: passes
	}{
		{"typed result", "# Results\n\nThe test error is 0.0123 on the terrain.\n", []string{"templates/report.md:3:", `"0.0123"`, "Ridge.TestMSE", "linear/ridge"}},
		{"typed mean over seeds", "Intro.\n\nThe network reaches 0.00500 on test.\n", []string{"templates/report.md:3:", `"0.00500"`, "TestMSE[*] (mean over 3)", "terrain/nn/relu"}},
		{"typed published count", "The study trained for 20 epochs.\n", []string{"templates/report.md:1:", `"20"`, "Digits.Keras.Epochs", PublishedFile}},
		{"typed percent", "R² of 81.2 % on test.\n", []string{`"81.2 %"`, "Ridge.TestR2"}},
		{"inserted", "The test error is {{sig .Ridge.TestMSE 3}} ({{.Pub.Digits.Keras.Epochs}} epochs).\n", nil},
		{"years and sections", "As in 2015 and 2020 (see Section 4.2, item 12), 1998.\n", nil},
		{"in TeX, code, ids and names", "With $\\lambda = 0.0123$, `0.0123`, a 2x8x1 network, figure F20 {#sec-20} and [a](#t-0.0123).\n\n1. First\n20. Twentieth\n", nil},
		{"one significant digit", "A learning rate such as 0.3 or 0.01.\n", nil},
		// A citation's volume and year are the cited work's, not results;
		// the same number in the prose after the section still fails.
		{"a citation's volume", "Intro.\n\n## References {.unnumbered}\n\n1. A. Author, A paper, *A Journal* 20 (2018).\n", nil},
		{"after the references", "## References\n\n1. A. Author, *A Journal* 20 (2018).\n\n## Appendix\n\nThe study trained for 20 epochs.\n", []string{"templates/report.md:7:", `"20"`}},
		// A run's best epoch (28) or epochs run (25) is a result, but a
		// typed count equal to one is a coincidence, not a typed result.
		{"a count equal to a run's epoch", "Images of 28 by 28 pixels; fewer than 25 images.\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, pv := provFixture(t)
			_, err := fill(t, d, pv, tc.src)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to name %s", err, w)
				}
			}
		})
	}
}

func TestInsertedNumbersCarryProvenance(t *testing.T) {
	d, pv := provFixture(t)
	src := "Ridge: {{sig .Ridge.TestMSE 3}}.\n\n{{range .Reg}}- {{.Label}}: {{pm .BestVal .BestSD}}, test {{msd .TestMSE 3}} at $\\gamma_0 = {{.BestLR}}$ ({{.BestArch}}).\n{{end}}\n![Errors over {{.P.Seeds}} seeds](fig:x)\n"
	md, err := fill(t, d, pv, src)
	if err != nil {
		t.Fatal(err)
	}
	plain, ids := report.StripMarks(md)
	want := "Ridge: 0.0123.\n\n- relu: 0.0046 ± 0.0003, test 0.00500 ± 0.00010 at $\\gamma_0 = 0.3$ (2x8x1).\n- sigmoid: 0.0079 ± 0.0007, test 0.00810 ± 0.00020 at $\\gamma_0 = 0.1$ (2x16x1).\n\n![Errors over 3 seeds](fig:x)\n"
	if plain != strings.ReplaceAll(want, " ± ", "\u00a0±\u00a0") {
		t.Errorf("the text changed:\n%q\nwant\n%q", plain, want)
	}
	if len(ids) != 8 || len(pv.entries) != 8 {
		t.Fatalf("%d marks and %d entries, want 8 each (architectures and labels are not numbers)", len(ids), len(pv.entries))
	}
	byID := map[string]ProvEntry{}
	for _, e := range pv.entries {
		byID[e.ID] = e
	}
	check := func(id, text, stage, path, agg string) {
		t.Helper()
		e := byID[id]
		if e.Text != text || len(e.Stages) == 0 || e.Stages[0] != stage || len(e.Fields) == 0 || e.Fields[0].Path != path || e.Aggregation != agg || e.Computed {
			t.Errorf("%s = %+v\nwant text %q from %s field %s, %q", id, e, text, stage, path, agg)
		}
		if !strings.Contains(pv.text[id], stage) || !strings.Contains(pv.text[id], id) {
			t.Errorf("title of %s = %q, want the stage and the id", id, pv.text[id])
		}
	}
	check("n1", "0.0123", "linear/ridge", "TestMSE", "")
	check("n2", "0.0046\u00a0±\u00a00.0003", "terrain/nn/relu", "BestVal", "mean ± sd over seeds")
	check("n3", "0.00500\u00a0±\u00a00.00010", "terrain/nn/relu", "TestMSE[*]", "mean ± sd over seeds")
	check("n4", "0.3", "terrain/nn/relu", "BestLR", "")
	check("n5", "0.0079\u00a0±\u00a00.0007", "terrain/nn/sigmoid", "BestVal", "mean ± sd over seeds")
	check("n8", "3", "report", "Seeds", "")
	if h := pv.source(pv.byName["Ridge"], -1).SHA256; h == "" || !strings.Contains(pv.text["n1"], h[:12]) {
		t.Errorf("title of n1 = %q, want the start of linear/ridge's output hash %q", pv.text["n1"], h)
	}
}

// The hash a number names is the one the engine stored for the output, so
// repro why and the lock find it.
func TestProvenanceHashIsTheOutputHash(t *testing.T) {
	fit := LinearFit{Model: "ridge", Lambda: 1e-4, TestMSE: 0.012345, Beta: []float64{1, 2.5, -3e-7}}
	res, err := json.Marshal(fit)
	if err != nil {
		t.Fatal(err)
	}
	in := namedIn("linear/ridge", LinearFit{})
	if err := json.Unmarshal(res, &in.Value); err != nil {
		t.Fatal(err)
	}
	if got, want := inputSource(reflect.ValueOf(in)).SHA256, pipeline.HashBytes(res); got != want {
		t.Errorf("hash %s, want the stored output's %s", got, want)
	}
}

var numSpanRE = regexp.MustCompile(`class="num" data-prov="([^"]+)"`)

// The report of the quick profile, when a run has left it in the store
// (artifacts/), has an entry for every number it marks and no other; the
// report stage itself fails when they disagree (provenance.finish).
func TestQuickReportProvenanceComplete(t *testing.T) {
	html, err := os.ReadFile(filepath.Join("..", "artifacts", "report.html"))
	if err != nil {
		t.Skip("no report in ../artifacts (run repro run --profile quick)")
	}
	b, err := os.ReadFile(filepath.Join("..", "artifacts", "report", "provenance.json"))
	if err != nil {
		t.Skip("no provenance.json beside the report (a report from before provenance)")
	}
	var p Provenance
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	entries := map[string]bool{}
	numbers := 0
	for _, e := range p.Entries {
		entries[e.ID] = true
		if e.Kind == "number" {
			numbers++
		}
		if len(e.Stages) == 0 && e.Kind == "number" && !e.Computed {
			t.Errorf("%s (%q) names no stage", e.ID, e.Text)
		}
	}
	spans := numSpanRE.FindAllSubmatch(html, -1)
	if len(spans) == 0 {
		t.Skip("the report in ../artifacts marks no number (made before provenance)")
	}
	ids := 0
	for _, m := range spans {
		for _, id := range strings.Fields(string(m[1])) {
			ids++
			if !entries[id] {
				t.Errorf("number %s has no entry in provenance.json", id)
			}
		}
	}
	if ids != numbers {
		t.Errorf("%d numbers marked in the page, %d number entries", ids, numbers)
	}
}

func TestFinishChecksCompleteness(t *testing.T) {
	d, pv := provFixture(t)
	if _, err := fill(t, d, pv, "Ridge: {{sig .Ridge.TestMSE 3}} and {{.P.Seeds}}.\n"); err != nil {
		t.Fatal(err)
	}
	page := []byte(`<p><span class="num" data-prov="n1">0.0123</span> and <span class="num" data-prov="n2">3</span></p>`)
	ids := map[string]bool{}
	for _, e := range pv.entries {
		if ids[e.ID] {
			t.Errorf("two entries %s", e.ID)
		}
		ids[e.ID] = true
	}
	if _, err := pv.finish(page); err != nil {
		t.Errorf("complete page: %v", err)
	}
	for _, bad := range []string{`<span class="num" data-prov="n1">0.0123</span>`, string(page) + `<span data-prov="n9">`} {
		if _, err := pv.finish([]byte(bad)); err == nil || !strings.Contains(err.Error(), "provenance incomplete") {
			t.Errorf("page %s: err = %v, want provenance incomplete", bad, err)
		}
	}
}

// In a table, a number shown without its % sign (the header has it) is
// traced in percent, and a computed number takes its row's stage.
func TestTableNumbersByRow(t *testing.T) {
	d, pv := provFixture(t)
	d.tables["t"] = report.Table{Name: "t", Caption: "Scores", Header: []string{"model", "R² [%]", "interval"},
		Rows: [][]string{{"ridge", "81.2", "[0.123, 0.456]"}, {"relu network", "0.0046", "[0.321, 0.654]"}}}
	md, err := fill(t, d, pv, "{{table \"t\"}}\n\n@tbl:t.\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, ids := report.StripMarks(md); len(ids) != 4 {
		t.Fatalf("%d numbers marked, want 4 (the header's are not)", len(ids))
	}
	want := []struct{ text, stage, agg, row, col string }{
		{"81.2", "linear/ridge", "in percent", "ridge | 81.2", "R² [%]"},
		{"[0.123, 0.456]", "linear/ridge", "95 % bootstrap interval over seeds and test data (0 replicates), from its row's stage", "ridge | 81.2", "interval"},
		{"0.0046", "terrain/nn/relu", "", "relu network | 0.0046", "R² [%]"},
		{"[0.321, 0.654]", "terrain/nn/relu", "95 % bootstrap interval over seeds and test data (0 replicates), from its row's stage", "relu network | 0.0046", "interval"},
	}
	for i, w := range want {
		e := pv.entries[i]
		if e.Text != w.text || len(e.Stages) != 1 || e.Stages[0] != w.stage || e.Aggregation != w.agg || e.Row != w.row || e.Column != w.col {
			t.Errorf("entry %d = %+v\nwant %+v", i, e, w)
		}
	}
}
