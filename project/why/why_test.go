package why

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/project"
)

// TestWhy prints the chain of a metric from a small lock: the stage, its
// inputs (one reached twice, printed once), the code of each, parameters
// that differ from the defaults, and the data files with their hashes.
func TestWhy(t *testing.T) {
	h := func(c string) string { return strings.Repeat(c, 64) }
	lock := &pipeline.Lock{Stages: map[string]*pipeline.LockStage{
		"digits/load": {Key: h("1"), Func: "github.com/repro-dev/repro/stages.digitsLoad", Code: h("a"),
			Params: json.RawMessage(`{"file":"data/digits.csv.gz"}`), Files: map[string]string{"data/digits.csv.gz": h("f")}},
		"digits/split": {Key: h("2"), Func: "github.com/repro-dev/repro/stages.digitsSplit", Code: h("b"),
			Params: json.RawMessage(`{"seed":2020,"train_per_class":40}`), Inputs: map[string]string{"digits/load": h("3")}},
		"logistic/lbfgs": {Key: h("4"), Func: "github.com/repro-dev/repro/stages.logisticLBFGS", Code: h("c"),
			Params:  json.RawMessage(`{"max_iter":50}`),
			Inputs:  map[string]string{"digits/load": h("3"), "digits/split": h("5")},
			Metrics: map[string]float64{"digits.logistic.lbfgs.test_accuracy": 0.952381}},
	}}
	reach := func(fn string) (*pipeline.Code, error) {
		c := &pipeline.Code{Decls: map[string]string{fn: "x", "github.com/repro-dev/repro/models.Softmax": "y"}}
		c.Fingerprint = map[string]string{"github.com/repro-dev/repro/stages.digitsLoad": h("a"), "github.com/repro-dev/repro/stages.digitsSplit": h("b")}[fn]
		return c, nil
	}
	defaults := func(stage string) ([]byte, bool) {
		d := map[string]string{"digits/load": `{"file":"data/digits.csv.gz"}`, "digits/split": `{"seed":2020,"train_per_class":100}`, "logistic/lbfgs": `{"max_iter":500}`}[stage]
		return []byte(d), d != ""
	}
	w := Printer{Lock: lock, LockName: "repro.quick.lock", Reach: reach, Defaults: defaults}
	var b strings.Builder
	if err := w.Print(&b, "digits.logistic.lbfgs.test_accuracy"); err != nil {
		t.Fatal(err)
	}
	want := `digits.logistic.lbfgs.test_accuracy = 0.952381
from logistic/lbfgs (key 444444444444)
  code: stages.logisticLBFGS, 2 declarations now (the code changed since the run: repro status names what)
  params differ from the defaults: max_iter 500 -> 50
├─ digits/load (key 111111111111)
│     code: stages.digitsLoad, 2 declarations
│     file data/digits.csv.gz sha256 ffffffffffff
└─ digits/split (key 222222222222)
      code: stages.digitsSplit, 2 declarations
      params differ from the defaults: train_per_class 100 -> 40
    └─ digits/load (key 111111111111, above)
data files:
  data/digits.csv.gz sha256 ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// A stage name works too; an unknown name is a usage error with
	// suggestions.
	b.Reset()
	if err := w.Print(&b, "digits/split"); err != nil || !strings.HasPrefix(b.String(), "digits/split\nfrom digits/split (key 222222222222)\n") {
		t.Errorf("why digits/split: %v\n%s", err, b.String())
	}
	err := w.Print(&b, "digits.logistic.lbfgs.test_acc")
	if _, ok := err.(project.UsageError); !ok || !strings.Contains(err.Error(), "did you mean digits.logistic.lbfgs.test_accuracy") {
		t.Errorf("unknown name: got %v, want a usage error suggesting the metric", err)
	}
}
