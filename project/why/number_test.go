package why

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/stages"
)

// TestWhyNumber prints the provenance of a number of the report by the id
// its popover shows: what it is, the fields it shows, then the chain of its
// stage to the data files; a figure's id works too, and an unknown id is a
// usage error.
func TestWhyNumber(t *testing.T) {
	h := func(c string) string { return strings.Repeat(c, 64) }
	lock := &pipeline.Lock{Stages: map[string]*pipeline.LockStage{
		"digits/load": {Key: h("1"), Func: "github.com/repro-dev/repro/stages.digitsLoad", Files: map[string]string{"data/digits.csv.gz": h("f")},
			Outputs: map[string]string{"value": h("3")}},
		"logistic/lbfgs": {Key: h("4"), Func: "github.com/repro-dev/repro/stages.logisticLBFGS", Inputs: map[string]string{"digits/load": h("3")},
			Outputs: map[string]string{"value": h("6")}},
		"report":      {Key: h("5"), Func: "github.com/repro-dev/repro/stages.reportStage", Inputs: map[string]string{"logistic/lbfgs": h("6")}},
		"figures/dag": {Key: h("7"), Func: "github.com/repro-dev/repro/stages.figDAG", Outputs: map[string]string{"figure.svg": h("8")}},
	}}
	prov := stages.Provenance{Profile: "quick", Seeds: 2,
		Outputs: map[string]map[string]string{"logistic/lbfgs": {"value": h("6")}, "report": {"parameters": ""}, "figures/dag": {"figure.svg": h("9")}},
		Entries: []stages.ProvEntry{
			{ID: "n7", Kind: "number", Text: "95.2 %", Values: []float64{95.2}, Stages: []string{"logistic/lbfgs"},
				Fields:   []stages.ProvField{{Stage: "logistic/lbfgs", Path: "TestAcc", Value: 0.952381}},
				Template: "templates/report.md:12 {{pctf .LBFGS.TestAcc 1}}", Table: "digits", Row: "digits | L-BFGS", Column: "test accuracy"},
			{ID: "n8", Kind: "number", Text: "2", Stages: []string{"report"}, Fields: []stages.ProvField{{Stage: "report", Path: "Seeds", Value: 2}}},
			{ID: "fig:dag", Kind: "figure", Text: "dag", Stages: []string{"figures/dag"}},
		}}
	b, err := json.Marshal(prov)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "provenance.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	w := Printer{Lock: lock, LockName: "repro.quick.lock", Provenance: path}
	var out strings.Builder
	if err := w.Print(&out, "n7"); err != nil {
		t.Fatal(err)
	}
	want := `n7 = 95.2 % (a value)
  inserted by templates/report.md:12 {{pctf .LBFGS.TestAcc 1}}
  table digits, row digits | L-BFGS, column test accuracy
  field TestAcc = 0.952381 of logistic/lbfgs
from logistic/lbfgs (key 444444444444)
  code: stages.logisticLBFGS
└─ digits/load (key 111111111111)
      code: stages.digitsLoad
      file data/digits.csv.gz sha256 ffffffffffff
data files:
  data/digits.csv.gz sha256 ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
`
	if got := out.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for id, wants := range map[string][]string{
		"n8":      {"n8 = 2 (a value)", "field Seeds = 2 of report", "from the report's own parameters (stage report in repro.quick.lock)"},
		"fig:dag": {"fig:dag: figure dag", "from figures/dag (key 777777777777)", "note: the report read output figure.svg 999999999999, repro.quick.lock records 888888888888"},
	} {
		out.Reset()
		if err := w.Print(&out, id); err != nil {
			t.Fatal(err)
		}
		for _, s := range wants {
			if !strings.Contains(out.String(), s) {
				t.Errorf("why %s:\n%s\nwant %s", id, out.String(), s)
			}
		}
		if strings.Contains(out.String(), "from report (key") {
			t.Errorf("why %s prints the report stage's own chain:\n%s", id, out.String())
		}
	}
	if err := w.Print(&out, "n99"); err == nil || !strings.Contains(err.Error(), "no number or figure n99") {
		t.Errorf("unknown id: err = %v", err)
	}
	w.Provenance = filepath.Join(t.TempDir(), "none.json")
	if err := w.Print(&out, "n7"); err == nil || !strings.Contains(err.Error(), "repro run first") {
		t.Errorf("no provenance.json: err = %v", err)
	}
}
